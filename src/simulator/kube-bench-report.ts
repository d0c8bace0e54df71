/**
 * Generates the JSON kube-bench writes for one node (`kube-bench run --targets node --json`),
 * from the real controls files, so that simulated nodes differ only in which checks fail.
 * Status rules are kube-bench's (check/check.go): a failing scored check is FAIL, a failing
 * unscored one WARN; `type: manual` is always WARN and `type: skip` always INFO.
 */
import type { KubeBenchGroup, KubeBenchJsonReport, KubeBenchResult, KubeBenchStatus } from '../model/kube-bench.js';
import type { CfgCheck, CfgTestItem } from './kube-bench-cfg.js';
import { AKS_NODE_PATHS, loadControls } from './kube-bench-cfg.js';

export interface KubeBenchReportOptions {
  /** kube-bench's detected Kubernetes version, e.g. "1.31". Defaults to a version the benchmark maps from. */
  detectedVersion?: string;
  /** Controls file to run; kube-bench on a node runs "node". */
  target?: string;
  /** Path substitutions; AKS node paths by default. */
  paths?: Readonly<Record<string, string>>;
}

/** The newest Kubernetes minor kube-bench maps to each AKS benchmark (cfg/config.yaml, README). */
const DEFAULT_DETECTED: Readonly<Record<string, string>> = { 'aks-1.0': '1.24', 'aks-1.7': '1.31', 'aks-1.8': '1.33' };

const KUBELET_PS =
  'UID          PID    PPID  C STIME TTY          TIME CMD\n' +
  'root        2741       1  3 Nov10 ?        07:12:09 /usr/local/bin/kubelet --enable-server --node-labels=agentpool=nodepool1,kubernetes.azure.com/agentpool=nodepool1 ' +
  '--v=2 --volume-plugin-dir=/etc/kubernetes/volumeplugins --config=/etc/default/kubeletconfig.json --kubeconfig=/var/lib/kubelet/kubeconfig ' +
  '--bootstrap-kubeconfig=/var/lib/kubelet/bootstrap-kubeconfig --container-runtime-endpoint=unix:///run/containerd/containerd.sock --runtime-cgroups=/system.slice/containerd.service';

function statusOf(check: CfgCheck, failing: boolean): KubeBenchStatus {
  if (check.type === 'manual') return 'WARN';
  if (check.type === 'skip') return 'INFO';
  if (!failing) return 'PASS';
  return check.scored ? 'FAIL' : 'WARN';
}

/** kube-bench's expected_result wording (check/test.go compareOp and evaluate). */
function expectation(item: CfgTestItem): string {
  const f = item.flag;
  const c = item.compare;
  if (item.set === false) return `'${f}' is not present`;
  if (!c) return `'${f}' is present`;
  switch (c.op) {
    case 'eq':
      return `'${f}' is equal to '${c.value}'`;
    case 'noteq':
      return `'${f}' is not equal to '${c.value}'`;
    case 'gt':
      return `'${f}' is greater than ${c.value}`;
    case 'gte':
      return `'${f}' is greater or equal to ${c.value}`;
    case 'lt':
      return `'${f}' is lower than ${c.value}`;
    case 'lte':
      return `'${f}' is lower or equal to ${c.value}`;
    case 'has':
      return `'${f}' has '${c.value}'`;
    case 'nothave':
      return `'${f}' does not have '${c.value}'`;
    case 'regex':
      return `'${f}' matched by regex expression '${c.value}'`;
    case 'valid_elements':
      return `'${f}' contains valid elements from '${c.value}'`;
    case 'bitmask':
      return `permissions has permissions ${c.value}, expected ${c.value} or more restrictive`;
    default:
      return `'${f}' ${c.op} '${c.value}'`;
  }
}

function expectedResult(check: CfgCheck): string {
  if (check.items.length === 0) return '';
  const joiner = check.binOp.toLowerCase() === 'or' ? ' OR ' : ' AND ';
  return check.items.map(expectation).join(joiner);
}

/** A plausible audit output: what `stat` or `ps` would have printed on an AKS node. */
function actualValue(check: CfgCheck, status: KubeBenchStatus): string {
  if (check.type === 'manual' || check.type === 'skip' || check.audit === '') return '';
  const first = check.items[0];
  const bad = status === 'FAIL' || status === 'WARN';
  if (first?.compare?.op === 'bitmask') return bad ? 'permissions=666' : 'permissions=644';
  if (first && /^[a-z]+:[a-z]+$/.test(first.flag)) return bad ? 'azureuser:azureuser' : first.flag;
  if (check.audit.includes('ps -fC')) return KUBELET_PS;
  return '';
}

function toResult(check: CfgCheck, failing: boolean): KubeBenchResult {
  const status = statusOf(check, failing);
  // Key order is kube-bench's own (check.Check field order) so the JSON reads like the real thing.
  const r: KubeBenchResult = {
    test_number: check.id,
    test_desc: check.text,
    audit: check.audit,
    AuditEnv: check.auditEnv,
    AuditConfig: check.auditConfig,
    type: check.type,
    remediation: check.remediation,
    test_info: [check.remediation],
    status,
    actual_value: actualValue(check, status),
    scored: check.scored,
    IsMultiple: false,
    expected_result: check.type === 'manual' || check.type === 'skip' ? '' : expectedResult(check),
  };
  // kube-bench returns before evaluating manual and skipped checks, so they carry no reason.
  return r;
}

function count(results: readonly KubeBenchResult[], s: KubeBenchStatus): number {
  return results.filter((r) => r.status === s).length;
}

/**
 * One node's kube-bench JSON report for `benchmark`, where the checks whose ids are in `failing`
 * fail. Ids that the benchmark does not define are ignored, since ids mean something only per benchmark.
 */
export function generateKubeBenchReport(benchmark: string, failing: ReadonlySet<string>, opts: KubeBenchReportOptions = {}): KubeBenchJsonReport {
  const cfg = loadControls(benchmark, opts.target ?? 'node', opts.paths ?? AKS_NODE_PATHS);
  const tests: KubeBenchGroup[] = cfg.groups.map((g) => {
    const results = g.checks.map((c) => toResult(c, failing.has(c.id)));
    return {
      section: g.id,
      type: g.type,
      pass: count(results, 'PASS'),
      fail: count(results, 'FAIL'),
      warn: count(results, 'WARN'),
      info: count(results, 'INFO'),
      desc: g.text,
      results,
    };
  });
  const sum = (k: 'pass' | 'fail' | 'warn' | 'info'): number => tests.reduce((n, g) => n + g[k], 0);
  const control = {
    id: cfg.id,
    version: cfg.version || benchmark,
    detected_version: opts.detectedVersion ?? DEFAULT_DETECTED[benchmark] ?? '',
    text: cfg.text,
    node_type: cfg.type,
    tests,
    total_pass: sum('pass'),
    total_fail: sum('fail'),
    total_warn: sum('warn'),
    total_info: sum('info'),
  };
  return {
    Controls: [control],
    Totals: { total_pass: control.total_pass, total_fail: control.total_fail, total_warn: control.total_warn, total_info: control.total_info },
  };
}

/** The check ids a benchmark defines for a target, in file order. */
export function benchmarkCheckIds(benchmark: string, target = 'node'): string[] {
  return loadControls(benchmark, target).groups.flatMap((g) => g.checks.map((c) => c.id));
}
