/**
 * A small evaluator for the ARM template expression language, covering the functions that
 * Bicep emits for infra/*.bicep. It lets the infra tests "deploy" the compiled templates on
 * paper and assert on concrete values (the app settings a given set of parameters produces)
 * instead of on the spelling of expressions. Unknown functions throw, so a template that starts
 * using one fails loudly here rather than being half-checked.
 *
 * guid() and uniqueString() are deterministic but not Azure's exact algorithms: tests compare
 * them with each other, never with values from a real deployment.
 */
import { createHash } from 'node:crypto';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

type Node =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'prop'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

export class ArmExpressionError extends Error {}

/** Thrown when an expression reads the outputs of a deployment that has not been evaluated yet. */
export class PendingDeploymentError extends Error {
  constructor(readonly deploymentName: string) {
    super(`deployment ${deploymentName} has not been evaluated yet`);
  }
}

export interface Scope {
  tenantId: string;
  subscriptionId?: string;
  resourceGroup?: string;
  managementGroup?: string;
  location: string;
}

export interface EvalContext {
  scope: Scope;
  parameter(name: string): Json;
  variable(name: string): Json;
  /** Outputs of an evaluated nested deployment, by deployment name. */
  deploymentOutputs(name: string): Record<string, Json> | undefined;
  copyIndex?: number;
  lambdaVars?: Map<string, Json>;
}

export function isExpression(s: string): boolean {
  return s.startsWith('[') && s.endsWith(']') && !s.startsWith('[[');
}

export function parseExpression(text: string): Node {
  if (!isExpression(text)) throw new ArmExpressionError(`not an ARM expression: ${text}`);
  const src = text.slice(1, -1);
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i] ?? '')) i++;
  };
  const expect = (ch: string): void => {
    ws();
    if (src[i] !== ch) throw new ArmExpressionError(`expected '${ch}' at ${i} in ${text}`);
    i++;
  };
  const primary = (): Node => {
    ws();
    const c = src[i];
    if (c === "'") {
      let out = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ArmExpressionError(`unterminated string in ${text}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += src[i];
        i++;
      }
      return { kind: 'str', value: out };
    }
    const num = /^-?\d+/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'num', value: Number(num[0]) };
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!ident) throw new ArmExpressionError(`unexpected '${c ?? 'end'}' at ${i} in ${text}`);
    i += ident[0].length;
    expect('(');
    const args: Node[] = [];
    ws();
    if (src[i] === ')') i++;
    else {
      for (;;) {
        args.push(expr());
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: ident[0], args };
  };
  const expr = (): Node => {
    let node = primary();
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const ident = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(src.slice(i));
        if (!ident) throw new ArmExpressionError(`expected a property name at ${i} in ${text}`);
        i += ident[0].length;
        node = { kind: 'prop', target: node, name: ident[0] };
      } else if (src[i] === '[') {
        i++;
        const index = expr();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = expr();
  ws();
  if (i !== src.length) throw new ArmExpressionError(`trailing text at ${i} in ${text}`);
  return node;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json, fn: string): string {
  if (typeof v !== 'string') throw new ArmExpressionError(`${fn}() expects a string, got ${JSON.stringify(v)}`);
  return v;
}

function toText(v: Json): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function hashHex(parts: Json[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function fakeGuid(parts: Json[]): string {
  const h = hashHex(parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function fakeUniqueString(parts: Json[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = createHash('sha256').update(JSON.stringify(parts)).digest();
  let out = '';
  for (let k = 0; k < 13; k++) out += alphabet[(bytes[k] ?? 0) % 32];
  return out;
}

/** `/providers/A.B/type1/name1/type2/name2` for resource type `A.B/type1/type2` and names. */
export function providerPath(type: string, names: string[]): string {
  const [ns, ...types] = type.split('/');
  if (ns === undefined || types.length === 0 || types.length !== names.length) {
    throw new ArmExpressionError(`resource type ${type} does not take ${names.length} name segment(s)`);
  }
  return `/providers/${ns}/${types.map((t, k) => `${t}/${names[k] ?? ''}`).join('/')}`;
}

export function scopeId(scope: Scope): string {
  if (scope.managementGroup !== undefined) return `/providers/Microsoft.Management/managementGroups/${scope.managementGroup}`;
  if (scope.subscriptionId === undefined) return '';
  const sub = `/subscriptions/${scope.subscriptionId}`;
  return scope.resourceGroup === undefined ? sub : `${sub}/resourceGroups/${scope.resourceGroup}`;
}

/** Type and name of the resource an id names: `/…/providers/A.B/t1/n1/t2/n2` → `A.B/t1/t2`, `n2`. */
export function parseResourceId(id: string): { type: string; name: string } {
  const at = id.lastIndexOf('/providers/');
  if (at < 0) {
    const rg = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)$/i.exec(id);
    if (rg?.[1] !== undefined) return { type: 'Microsoft.Resources/resourceGroups', name: rg[1] };
    throw new ArmExpressionError(`not a resource id: ${id}`);
  }
  const [ns, ...rest] = id.slice(at + '/providers/'.length).split('/');
  const types = rest.filter((_, k) => k % 2 === 0);
  const names = rest.filter((_, k) => k % 2 === 1);
  return { type: [ns, ...types].join('/'), name: names[names.length - 1] ?? '' };
}

/** Properties a `reference()` of a resource returns, invented per type from its id. */
export function stubProperties(id: string): Json {
  const { type, name } = parseResourceId(id);
  switch (type.toLowerCase()) {
    case 'microsoft.managedidentity/userassignedidentities':
      return { principalId: `principal-of-${name}`, clientId: `client-of-${name}`, tenantId: 'tenant-0' };
    case 'microsoft.storage/storageaccounts':
      return {
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
        },
      };
    case 'microsoft.keyvault/vaults':
      return { vaultUri: `https://${name}.vault.azure.net/` };
    case 'microsoft.insights/components':
      return { ConnectionString: `InstrumentationKey=ikey-of-${name};IngestionEndpoint=https://ingest.example.invalid/` };
    case 'microsoft.web/sites':
      return { defaultHostName: `${name}.azurewebsites.net` };
    default:
      return {};
  }
}

const DEPLOYMENT_ID = /\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/i;

export function evaluateNode(node: Node, ctx: EvalContext): Json {
  switch (node.kind) {
    case 'str':
    case 'num':
      return node.value;
    case 'prop': {
      const target = evaluateNode(node.target, ctx);
      if (!isObject(target)) throw new ArmExpressionError(`cannot read .${node.name} of ${JSON.stringify(target)}`);
      const v = target[node.name];
      if (v === undefined) throw new ArmExpressionError(`no property ${node.name} in ${JSON.stringify(target)}`);
      return v;
    }
    case 'index': {
      const target = evaluateNode(node.target, ctx);
      const index = evaluateNode(node.index, ctx);
      if (Array.isArray(target) && typeof index === 'number') {
        const v = target[index];
        if (v === undefined) throw new ArmExpressionError(`index ${index} out of range`);
        return v;
      }
      if (isObject(target) && typeof index === 'string') {
        const v = target[index];
        if (v === undefined) throw new ArmExpressionError(`no property ${index}`);
        return v;
      }
      throw new ArmExpressionError(`cannot index ${JSON.stringify(target)} with ${JSON.stringify(index)}`);
    }
    case 'call':
      return call(node, ctx);
  }
}

function call(node: Extract<Node, { kind: 'call' }>, ctx: EvalContext): Json {
  const name = node.name.toLowerCase();
  // Lazy forms first: their arguments must not all be evaluated.
  if (name === 'if') {
    const [c, a, b] = node.args;
    if (!c || !a || !b) throw new ArmExpressionError('if() takes three arguments');
    return evaluateNode(c, ctx) === true ? evaluateNode(a, ctx) : evaluateNode(b, ctx);
  }
  if (name === 'lambda') {
    // A lambda is evaluated by map()/filter(), which read its node directly.
    throw new ArmExpressionError('lambda() outside map()/filter()');
  }
  if (name === 'map' || name === 'filter') {
    const [arrNode, lam] = node.args;
    if (!arrNode || !lam || lam.kind !== 'call' || lam.name.toLowerCase() !== 'lambda') {
      throw new ArmExpressionError(`${name}() needs an array and a lambda`);
    }
    const arr = evaluateNode(arrNode, ctx);
    if (!Array.isArray(arr)) throw new ArmExpressionError(`${name}() expects an array`);
    const [varNode, body] = lam.args;
    if (!varNode || varNode.kind !== 'str' || !body) throw new ArmExpressionError('lambda() needs a name and a body');
    const apply = (item: Json): Json => {
      const vars = new Map(ctx.lambdaVars ?? []);
      vars.set(varNode.value, item);
      return evaluateNode(body, { ...ctx, lambdaVars: vars });
    };
    return name === 'map' ? arr.map(apply) : arr.filter((item) => apply(item) === true);
  }
  if (name === 'toobject') {
    // toObject(array, lambda key, [lambda value]): later keys win, as in ARM.
    const [arrNode, keyLam, valueLam] = node.args;
    const arr = arrNode ? evaluateNode(arrNode, ctx) : null;
    if (!Array.isArray(arr) || !keyLam) throw new ArmExpressionError('toObject() needs an array and a key lambda');
    const applyLam = (lam: Node, item: Json): Json => {
      if (lam.kind !== 'call' || lam.name.toLowerCase() !== 'lambda') throw new ArmExpressionError('toObject() takes lambdas');
      const [varNode, body] = lam.args;
      if (!varNode || varNode.kind !== 'str' || !body) throw new ArmExpressionError('lambda() needs a name and a body');
      const vars = new Map(ctx.lambdaVars ?? []);
      vars.set(varNode.value, item);
      return evaluateNode(body, { ...ctx, lambdaVars: vars });
    };
    const out: Record<string, Json> = {};
    for (const item of arr) out[str(applyLam(keyLam, item), name)] = valueLam ? applyLam(valueLam, item) : item;
    return out;
  }
  const args = node.args.map((a) => evaluateNode(a, ctx));
  const arg = (k: number): Json => {
    const v = args[k];
    if (v === undefined) throw new ArmExpressionError(`${node.name}() is missing argument ${k + 1}`);
    return v;
  };
  switch (name) {
    case 'parameters':
      return ctx.parameter(str(arg(0), name));
    case 'variables':
      return ctx.variable(str(arg(0), name));
    case 'lambdavariables': {
      const v = ctx.lambdaVars?.get(str(arg(0), name));
      if (v === undefined) throw new ArmExpressionError(`no lambda variable ${String(args[0])}`);
      return v;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'not':
      return !arg(0);
    case 'and':
      return args.every((a) => a === true);
    case 'or':
      return args.some((a) => a === true);
    case 'equals':
      return JSON.stringify(arg(0)) === JSON.stringify(arg(1));
    case 'empty': {
      const v = arg(0);
      if (v === null || v === '') return true;
      if (Array.isArray(v)) return v.length === 0;
      if (isObject(v)) return Object.keys(v).length === 0;
      return false;
    }
    case 'format': {
      const fmt = str(arg(0), name);
      return fmt.replace(/\{(\d+)(?::[^}]*)?\}/g, (_, d: string) => toText(arg(Number(d) + 1)));
    }
    case 'concat':
      if (args.every(Array.isArray)) return (args as Json[][]).flat();
      return args.map(toText).join('');
    case 'string':
      return toText(arg(0));
    case 'int': {
      const n = Number(arg(0));
      if (!Number.isInteger(n)) throw new ArmExpressionError(`int() of ${JSON.stringify(args[0])}`);
      return n;
    }
    case 'items': {
      // ARM lists an object's entries sorted by key.
      const o = arg(0);
      if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ArmExpressionError('items() expects an object');
      return Object.keys(o)
        .sort()
        .map((key) => ({ key, value: (o as Record<string, Json>)[key] as Json }));
    }
    case 'replace':
      return str(arg(0), name)
        .split(str(arg(1), name))
        .join(str(arg(2), name));
    case 'tolower':
      return str(arg(0), name).toLowerCase();
    case 'toupper':
      return str(arg(0), name).toUpperCase();
    case 'trim':
      return str(arg(0), name).trim();
    case 'indexof':
      // ARM compares strings case-insensitively here; -1 when absent.
      return str(arg(0), name)
        .toLowerCase()
        .indexOf(str(arg(1), name).toLowerCase());
    case 'substring': {
      const s = str(arg(0), name);
      const start = Number(arg(1));
      const length = args.length > 2 ? Number(arg(2)) : s.length - start;
      if (start < 0 || length < 0 || start + length > s.length) throw new ArmExpressionError(`substring() out of range: ${start}, ${length} of ${s.length}`);
      return s.substring(start, start + length);
    }
    case 'add':
      return Number(arg(0)) + Number(arg(1));
    case 'greater':
      return Number(arg(0)) > Number(arg(1));
    case 'split':
      return str(arg(0), name).split(str(arg(1), name));
    case 'join': {
      const arr = arg(0);
      if (!Array.isArray(arr)) throw new ArmExpressionError('join() expects an array');
      return arr.map(toText).join(str(arg(1), name));
    }
    case 'take': {
      const v = arg(0);
      const n = Number(arg(1));
      if (typeof v === 'string' || Array.isArray(v)) return v.slice(0, Math.max(0, n));
      throw new ArmExpressionError('take() expects a string or array');
    }
    case 'length': {
      const v = arg(0);
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isObject(v)) return Object.keys(v).length;
      throw new ArmExpressionError('length() expects a string, array or object');
    }
    case 'contains': {
      const v = arg(0);
      const x = arg(1);
      if (typeof v === 'string') return v.includes(str(x, name));
      if (Array.isArray(v)) return v.some((e) => JSON.stringify(e) === JSON.stringify(x));
      if (isObject(v)) return typeof x === 'string' && x in v;
      return false;
    }
    case 'union': {
      if (args.every(Array.isArray)) {
        const out: Json[] = [];
        for (const e of (args as Json[][]).flat()) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(e))) out.push(e);
        return out;
      }
      const out: { [key: string]: Json } = {};
      for (const a of args) {
        if (!isObject(a)) throw new ArmExpressionError('union() mixes objects and non-objects');
        Object.assign(out, a);
      }
      return out;
    }
    case 'createobject': {
      const out: { [key: string]: Json } = {};
      for (let k = 0; k + 1 < args.length; k += 2) out[str(arg(k), name)] = arg(k + 1);
      return out;
    }
    case 'createarray':
      return args;
    case 'copyindex':
      if (ctx.copyIndex === undefined) throw new ArmExpressionError('copyIndex() outside a copy loop');
      return ctx.copyIndex + (typeof args[0] === 'number' ? args[0] : 0);
    case 'guid':
      return fakeGuid(args);
    case 'uniquestring':
      return fakeUniqueString(args);
    case 'tenant':
      return { tenantId: ctx.scope.tenantId, countryCode: 'US', displayName: 'Test tenant' };
    case 'subscription': {
      const sub = ctx.scope.subscriptionId;
      if (sub === undefined) throw new ArmExpressionError('subscription() in a management group deployment');
      return { id: `/subscriptions/${sub}`, subscriptionId: sub, tenantId: ctx.scope.tenantId, displayName: 'Test subscription' };
    }
    case 'resourcegroup': {
      const rg = ctx.scope.resourceGroup;
      if (rg === undefined) throw new ArmExpressionError('resourceGroup() outside a resource group deployment');
      return { id: scopeId(ctx.scope), name: rg, location: ctx.scope.location };
    }
    case 'managementgroup': {
      const mg = ctx.scope.managementGroup;
      if (mg === undefined) throw new ArmExpressionError('managementGroup() outside a management group deployment');
      return { id: scopeId(ctx.scope), name: mg };
    }
    case 'deployment':
      return { name: 'deployment', location: ctx.scope.location };
    case 'environment':
      return {
        name: 'AzureCloud',
        suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
        authentication: { loginEndpoint: 'https://login.microsoftonline.com/', audiences: [] },
      };
    case 'resourceid': {
      const parts = args.map((a) => str(a, name));
      // Optional leading subscription id and resource group name: the type is the first with a '/'.
      const t = parts.findIndex((p) => p.includes('/'));
      if (t < 0) throw new ArmExpressionError('resourceId() without a resource type');
      const explicit = parts.slice(0, t);
      const scope: Scope = { ...ctx.scope };
      if (explicit.length === 2) {
        scope.subscriptionId = explicit[0];
        scope.resourceGroup = explicit[1];
      } else if (explicit.length === 1) scope.resourceGroup = explicit[0];
      return scopeId(scope) + providerPath(parts[t] ?? '', parts.slice(t + 1));
    }
    case 'subscriptionresourceid': {
      const parts = args.map((a) => str(a, name));
      const t = parts.findIndex((p) => p.includes('/'));
      const sub = t === 1 ? parts[0] : ctx.scope.subscriptionId;
      if (t < 0 || sub === undefined) throw new ArmExpressionError('subscriptionResourceId() needs a subscription and a type');
      return `/subscriptions/${sub}` + providerPath(parts[t] ?? '', parts.slice(t + 1));
    }
    case 'managementgroupresourceid': {
      const parts = args.map((a) => str(a, name));
      const t = parts.findIndex((p) => p.includes('/'));
      const mg = t === 1 ? parts[0] : ctx.scope.managementGroup;
      if (t < 0 || mg === undefined) throw new ArmExpressionError('managementGroupResourceId() needs a management group and a type');
      return `/providers/Microsoft.Management/managementGroups/${mg}` + providerPath(parts[t] ?? '', parts.slice(t + 1));
    }
    case 'tenantresourceid': {
      const parts = args.map((a) => str(a, name));
      return providerPath(parts[0] ?? '', parts.slice(1));
    }
    case 'extensionresourceid': {
      const parts = args.map((a) => str(a, name));
      return (parts[0] ?? '') + providerPath(parts[1] ?? '', parts.slice(2));
    }
    case 'reference': {
      const id = str(arg(0), name);
      const dep = DEPLOYMENT_ID.exec(id);
      if (dep?.[1] !== undefined) {
        const outputs = ctx.deploymentOutputs(dep[1]);
        if (outputs === undefined) throw new PendingDeploymentError(dep[1]);
        const wrapped: { [key: string]: Json } = {};
        for (const [k, v] of Object.entries(outputs)) wrapped[k] = { value: v };
        return { outputs: wrapped };
      }
      return stubProperties(id);
    }
    default:
      throw new ArmExpressionError(`the test evaluator does not implement ${node.name}()`);
  }
}

/** Evaluates a template value: expressions in strings (and object keys), recursively. */
export function evaluateValue(value: unknown, ctx: EvalContext): Json {
  if (typeof value === 'string') {
    if (isExpression(value)) return evaluateNode(parseExpression(value), ctx);
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => evaluateValue(v, ctx));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = evaluateValue(k, ctx);
      out[typeof key === 'string' ? key : JSON.stringify(key)] = evaluateValue(v, ctx);
    }
    return out;
  }
  throw new ArmExpressionError(`unexpected template value ${String(value)}`);
}
