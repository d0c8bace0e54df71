/**
 * Reads kube-bench's controls files (cfg/<benchmark>/<target>.yaml) from the vendored copy in
 * third_party/kube-bench, with kube-bench's variable substitution applied the way it does it:
 * on the raw text, before parsing (cmd/common.go runChecks → util.MakeSubstitutions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The paths kube-bench resolves on an AKS node, keyed by the variable name used in the cfg. */
export const AKS_NODE_PATHS: Readonly<Record<string, string>> = {
  kubeletbin: 'kubelet',
  kubeletconf: '/etc/default/kubeletconfig.json',
  kubeletkubeconfig: '/var/lib/kubelet/kubeconfig',
  kubeletsvc: '/etc/systemd/system/kubelet.service',
  kubeletcafile: '/etc/kubernetes/certs/ca.crt',
  proxybin: 'kube-proxy',
  proxyconf: '/etc/kubernetes/addons/kube-proxy-daemonset.yaml',
  proxykubeconfig: '/var/lib/kubelet/kubeconfig',
};

export interface CfgTestItem {
  flag: string;
  path: string | null;
  set: boolean | null;
  compare: { op: string; value: string } | null;
}

export interface CfgCheck {
  id: string;
  text: string;
  type: string;
  audit: string;
  auditEnv: string;
  auditConfig: string;
  remediation: string;
  scored: boolean;
  binOp: string;
  items: CfgTestItem[];
}

export interface CfgGroup {
  id: string;
  text: string;
  type: string;
  checks: CfgCheck[];
}

export interface CfgControls {
  id: string;
  version: string;
  text: string;
  type: string;
  groups: CfgGroup[];
}

/** Where the vendored cfg lives: beside src/ when run from source, one level up from dist/. */
export function kubeBenchCfgDir(): string {
  const override = process.env['AKSFS_KUBE_BENCH_CFG'];
  if (override) return override.endsWith('/') ? override : `${override}/`;
  for (const rel of ['../../third_party/kube-bench/cfg/', '../../../third_party/kube-bench/cfg/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}config.yaml`)) return dir;
  }
  throw new Error('kube-bench cfg not found: expected third_party/kube-bench/cfg beside src/ (or set AKSFS_KUBE_BENCH_CFG)');
}

export function substituteVariables(text: string, vars: Readonly<Record<string, string>>): string {
  // Longest names first so a variable never replaces the prefix of a longer one.
  const names = Object.keys(vars).sort((a, b) => b.length - a.length);
  let out = text;
  for (const n of names) out = out.split(`$${n}`).join(vars[n] ?? '');
  return out;
}

type Node = string | Node[] | { [k: string]: Node } | null;

function str(v: Node | undefined): string {
  return typeof v === 'string' ? v : '';
}
function obj(v: Node | undefined): Record<string, Node> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}
function arr(v: Node | undefined): Node[] {
  return Array.isArray(v) ? v : [];
}
function bool(v: Node | undefined): boolean | null {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

const cache = new Map<string, CfgControls>();

/**
 * Loads one controls file. The failsafe schema keeps every scalar a string, as Go's yaml does for
 * kube-bench's string fields: `id: 3.10` must stay "3.10", not become the number 3.1.
 */
export function loadControls(benchmark: string, target = 'node', vars: Readonly<Record<string, string>> = AKS_NODE_PATHS): CfgControls {
  if (!/^[a-z0-9.-]+$/.test(benchmark) || !/^[a-z]+$/.test(target)) {
    throw new Error(`kube-bench benchmark ${JSON.stringify(benchmark)} / target ${JSON.stringify(target)} is not a valid name`);
  }
  const key = `${benchmark}/${target}/${JSON.stringify(vars)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const file = `${kubeBenchCfgDir()}${benchmark}/${target}.yaml`;
  if (!existsSync(file)) throw new Error(`kube-bench has no ${target} controls for benchmark ${benchmark} (${file} does not exist)`);
  const text = substituteVariables(readFileSync(file, 'utf8'), vars);
  const doc = obj(parse(text, { schema: 'failsafe' }) as Node);
  const controls: CfgControls = {
    id: str(doc['id']),
    version: str(doc['version']),
    text: str(doc['text']),
    type: str(doc['type']),
    groups: arr(doc['groups']).map((g0) => {
      const g = obj(g0);
      return {
        id: str(g['id']),
        text: str(g['text']),
        type: str(g['type']),
        checks: arr(g['checks']).map((c0) => {
          const c = obj(c0);
          const tests = obj(c['tests']);
          return {
            id: str(c['id']),
            text: str(c['text']),
            type: str(c['type']),
            audit: str(c['audit']),
            auditEnv: str(c['audit_env']),
            auditConfig: str(c['audit_config']),
            remediation: str(c['remediation']),
            scored: bool(c['scored']) ?? false,
            binOp: str(tests['bin_op']) || 'and',
            items: arr(tests['test_items']).map((t0) => {
              const t = obj(t0);
              const cmp = obj(t['compare']);
              return {
                flag: str(t['flag']),
                path: str(t['path']) || null,
                set: bool(t['set']),
                compare: str(cmp['op']) ? { op: str(cmp['op']), value: str(cmp['value']) } : null,
              };
            }),
          };
        }),
      };
    }),
  };
  cache.set(key, controls);
  return controls;
}
