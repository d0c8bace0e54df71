/**
 * Evaluates a compiled ARM template with given parameters, nested deployments included, the way
 * ARM would resolve it, and returns the concrete resources, module parameters and outputs. It does
 * not talk to Azure: properties of resources that only exist at deploy time (an identity's client
 * id, a vault's URI) come from arm-expression's stubs.
 */
import {
  ArmExpressionError,
  PendingDeploymentError,
  evaluateValue,
  parseResourceId,
  providerPath,
  scopeId,
  type EvalContext,
  type Json,
  type Scope,
} from './arm-expression.js';

export interface ArmParameterDef {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
}

export interface ArmTemplate {
  parameters?: Record<string, ArmParameterDef>;
  variables?: Record<string, unknown>;
  resources: unknown;
  outputs?: Record<string, { type: string; value?: unknown; condition?: unknown }>;
}

export interface DeployedResource {
  /** Deployment path, e.g. `main/function-app`. */
  deployment: string;
  type: string;
  name: string;
  id: string;
  properties: Json;
  identity?: Json;
  kind?: Json;
  tags?: Json;
  sku?: Json;
}

/** A value handed to a nested deployment's parameter, with the type the nested template declares. */
export interface ModuleParameter {
  deployment: string;
  parameter: string;
  declaredType: string;
  value: Json;
}

export interface Deployment {
  resources: DeployedResource[];
  moduleParameters: ModuleParameter[];
  /** Outputs of the top-level template. */
  outputs: Record<string, Json>;
  /** Outputs of every nested deployment, by path. */
  nestedOutputs: Record<string, Record<string, Json>>;
  /** Resources whose condition was false. */
  skipped: { deployment: string; type: string; name: string }[];
}

interface RawResource {
  type?: unknown;
  name?: unknown;
  condition?: unknown;
  copy?: { name?: unknown; count?: unknown };
  scope?: unknown;
  resourceGroup?: unknown;
  subscriptionId?: unknown;
  properties?: unknown;
  identity?: unknown;
  kind?: unknown;
  tags?: unknown;
  sku?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function resourceList(template: ArmTemplate): RawResource[] {
  const r = template.resources;
  // Bicep emits an object keyed by symbolic name when it uses language version 2.0.
  const list = Array.isArray(r) ? r : isRecord(r) ? Object.values(r) : [];
  return list.filter(isRecord) as RawResource[];
}

function checkParameter(name: string, def: ArmParameterDef, value: Json): void {
  const t = def.type.toLowerCase();
  const bad = (why: string): never => {
    throw new ArmExpressionError(`parameter ${name}: ${why} (value ${JSON.stringify(value)})`);
  };
  if ((t === 'string' || t === 'securestring') && typeof value !== 'string') bad('expected a string');
  if (t === 'int' && !(typeof value === 'number' && Number.isInteger(value))) bad('expected an integer');
  if (t === 'bool' && typeof value !== 'boolean') bad('expected a bool');
  if (t === 'array' && !Array.isArray(value)) bad('expected an array');
  if ((t === 'object' || t === 'secureobject') && !isRecord(value)) bad('expected an object');
  if (def.allowedValues && !def.allowedValues.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
    bad(`not one of ${JSON.stringify(def.allowedValues)}`);
  }
  if (typeof value === 'number') {
    if (def.minValue !== undefined && value < def.minValue) bad(`below minValue ${def.minValue}`);
    if (def.maxValue !== undefined && value > def.maxValue) bad(`above maxValue ${def.maxValue}`);
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    if (def.minLength !== undefined && value.length < def.minLength) bad(`shorter than minLength ${def.minLength}`);
    if (def.maxLength !== undefined && value.length > def.maxLength) bad(`longer than maxLength ${def.maxLength}`);
  }
}

export function isSecureType(type: string): boolean {
  const t = type.toLowerCase();
  return t === 'securestring' || t === 'secureobject';
}

export function deployTemplate(template: ArmTemplate, given: Record<string, Json>, scope: Scope, path = 'main'): Deployment {
  const defs = template.parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in defs)) throw new ArmExpressionError(`${path}: parameter ${name} is not declared by the template`);
  }
  const params = new Map<string, Json>();
  const varCache = new Map<string, Json>();
  const resolving = new Set<string>();
  const deploymentOutputs = new Map<string, Record<string, Json>>();

  const ctx: EvalContext = {
    scope,
    parameter(name) {
      const v = params.get(name);
      if (v === undefined) throw new ArmExpressionError(`${path}: parameter ${name} is not set (yet)`);
      return v;
    },
    variable(name) {
      const cached = varCache.get(name);
      if (cached !== undefined) return cached;
      const vars = template.variables ?? {};
      if (!(name in vars)) throw new ArmExpressionError(`${path}: no variable ${name}`);
      if (resolving.has(name)) throw new ArmExpressionError(`${path}: variable ${name} refers to itself`);
      resolving.add(name);
      try {
        const v = evaluateValue(vars[name], ctx);
        varCache.set(name, v);
        return v;
      } finally {
        resolving.delete(name);
      }
    },
    deploymentOutputs(name) {
      return deploymentOutputs.get(name);
    },
  };

  for (const [name, def] of Object.entries(defs)) {
    let value: Json;
    if (name in given) value = given[name] as Json;
    else if ('defaultValue' in def) value = evaluateValue(def.defaultValue, ctx);
    else throw new ArmExpressionError(`${path}: parameter ${name} is required and has no default`);
    checkParameter(name, def, value);
    params.set(name, value);
  }

  const result: Deployment = { resources: [], moduleParameters: [], outputs: {}, nestedOutputs: {}, skipped: [] };

  const deployOne = (raw: RawResource, rctx: EvalContext): void => {
    const type = evaluateValue(raw.type, rctx);
    const name = evaluateValue(raw.name, rctx);
    if (typeof type !== 'string' || typeof name !== 'string') throw new ArmExpressionError(`${path}: resource without type or name`);
    if (raw.condition !== undefined && evaluateValue(raw.condition, rctx) !== true) {
      result.skipped.push({ deployment: path, type, name });
      return;
    }
    if (type.toLowerCase() === 'microsoft.resources/deployments') {
      deployNested(raw, name, rctx);
      return;
    }
    let id: string;
    if (raw.scope !== undefined) {
      const s = evaluateValue(raw.scope, rctx);
      if (typeof s !== 'string') throw new ArmExpressionError(`${path}: scope of ${name} is not a string`);
      id = s + providerPath(type, name.split('/'));
    } else if (type.toLowerCase() === 'microsoft.resources/resourcegroups') {
      id = `/subscriptions/${scope.subscriptionId ?? ''}/resourceGroups/${name}`;
    } else {
      id = scopeId(scope) + providerPath(type, name.split('/'));
    }
    const res: DeployedResource = { deployment: path, type, name, id, properties: evaluateValue(raw.properties ?? {}, rctx) };
    if (raw.identity !== undefined) res.identity = evaluateValue(raw.identity, rctx);
    if (raw.kind !== undefined) res.kind = evaluateValue(raw.kind, rctx);
    if (raw.tags !== undefined) res.tags = evaluateValue(raw.tags, rctx);
    if (raw.sku !== undefined) res.sku = evaluateValue(raw.sku, rctx);
    result.resources.push(res);
  };

  const deployNested = (raw: RawResource, name: string, rctx: EvalContext): void => {
    const props = raw.properties;
    if (!isRecord(props) || !isRecord(props['template'])) throw new ArmExpressionError(`${path}: deployment ${name} has no inline template`);
    const nested = props['template'] as unknown as ArmTemplate;
    const nestedDefs = nested.parameters ?? {};
    const values: Record<string, Json> = {};
    const passed = isRecord(props['parameters']) ? props['parameters'] : {};
    for (const [pname, pval] of Object.entries(passed)) {
      const wrapped = evaluateValue(pval, rctx);
      if (typeof wrapped !== 'object' || wrapped === null || Array.isArray(wrapped) || !('value' in wrapped)) {
        throw new ArmExpressionError(`${path}: deployment ${name} parameter ${pname} is not { value }`);
      }
      const value = wrapped['value'] as Json;
      values[pname] = value;
      result.moduleParameters.push({
        deployment: `${path}/${name}`,
        parameter: pname,
        declaredType: nestedDefs[pname]?.type ?? 'undeclared',
        value,
      });
    }
    const nestedScope: Scope = { ...scope };
    if (raw.subscriptionId !== undefined) {
      const sub = evaluateValue(raw.subscriptionId, rctx);
      if (typeof sub === 'string') {
        nestedScope.subscriptionId = sub;
        delete nestedScope.managementGroup;
      }
    }
    if (raw.resourceGroup !== undefined) {
      const rg = evaluateValue(raw.resourceGroup, rctx);
      if (typeof rg === 'string') nestedScope.resourceGroup = rg;
    }
    const inner = deployTemplate(nested, values, nestedScope, `${path}/${name}`);
    deploymentOutputs.set(name, inner.outputs);
    result.nestedOutputs[`${path}/${name}`] = inner.outputs;
    Object.assign(result.nestedOutputs, inner.nestedOutputs);
    result.resources.push(...inner.resources);
    result.moduleParameters.push(...inner.moduleParameters);
    result.skipped.push(...inner.skipped);
  };

  // ARM orders by dependsOn; here a resource that reads a deployment not yet evaluated is simply
  // retried on the next pass, which gives the same result for templates without cycles.
  let pending: { raw: RawResource; copyIndex?: number }[] = [];
  for (const raw of resourceList(template)) {
    if (raw.copy !== undefined) {
      const count = evaluateValue(raw.copy.count, ctx);
      if (typeof count !== 'number') throw new ArmExpressionError(`${path}: copy count is not a number`);
      for (let k = 0; k < count; k++) pending.push({ raw, copyIndex: k });
    } else pending.push({ raw });
  }
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const item of pending) {
      try {
        deployOne(item.raw, item.copyIndex === undefined ? ctx : { ...ctx, copyIndex: item.copyIndex });
      } catch (e) {
        if (e instanceof PendingDeploymentError) next.push(item);
        else throw e;
      }
    }
    if (next.length === pending.length) {
      throw new ArmExpressionError(`${path}: ${next.length} resource(s) wait on deployments that never run`);
    }
    pending = next;
  }

  for (const [name, out] of Object.entries(template.outputs ?? {})) {
    if (out.condition !== undefined && evaluateValue(out.condition, ctx) !== true) continue;
    result.outputs[name] = evaluateValue(out.value, ctx);
  }
  return result;
}

/** Resources of one type (case-insensitive), across all nested deployments. */
export function resourcesOfType(d: Deployment, type: string): DeployedResource[] {
  return d.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

export { parseResourceId };
