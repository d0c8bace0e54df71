/**
 * kube-bench's JSON output, exactly as kube-bench writes it (check/controls.go, check/check.go).
 *
 * Fields that older releases omit are optional here: AuditEnv, IsMultiple, detected_version
 * and the group `type` arrived later, and `reason` is written only when it is not empty.
 */

/** kube-bench's check statuses, worst first: the order reports list them in. */
export const CHECK_STATUSES = ['FAIL', 'WARN', 'PASS', 'INFO'] as const;
export type KubeBenchStatus = (typeof CHECK_STATUSES)[number];

/** The AKS benchmarks of kube-bench (cfg/aks-1.0, aks-1.7, aks-1.8 in v0.15.6) this scanner runs. */
export const BENCHMARKS = ['aks-1.0', 'aks-1.7', 'aks-1.8'] as const;
export type Benchmark = (typeof BENCHMARKS)[number];

/** One check as kube-bench reports it (`check.Check` serialised). */
export interface KubeBenchResult {
  test_number: string;
  test_desc: string;
  audit: string;
  AuditEnv?: string;
  AuditConfig?: string;
  /** '' for automated checks, 'manual' or 'skip'. */
  type: string;
  remediation: string;
  test_info: string[];
  status: KubeBenchStatus;
  actual_value: string;
  scored: boolean;
  IsMultiple?: boolean;
  expected_result: string;
  reason?: string;
}

/** A group of checks, e.g. section 3.2 "Kubelet". */
export interface KubeBenchGroup {
  section: string;
  type?: string;
  pass: number;
  fail: number;
  warn: number;
  info: number;
  desc: string;
  results: KubeBenchResult[] | null;
}

/** One controls file (master, node, policies, ...) after a run. */
export interface KubeBenchControls {
  id: string;
  /** The benchmark, e.g. "aks-1.8" or "cis-1.10" (older releases wrote the CIS edition, e.g. "1.5"). */
  version: string;
  detected_version?: string;
  text: string;
  node_type: string;
  tests: KubeBenchGroup[] | null;
  total_pass: number;
  total_fail: number;
  total_warn: number;
  total_info: number;
}

export interface KubeBenchTotals {
  total_pass: number;
  total_fail: number;
  total_warn: number;
  total_info: number;
}

/** `kube-bench --json`: one object with totals. */
export interface KubeBenchJsonReport {
  Controls: KubeBenchControls[];
  Totals: KubeBenchTotals;
}

/** `--json` writes the report object; `--json --nototals` writes the bare array of controls. */
export type KubeBenchOutput = KubeBenchJsonReport | KubeBenchControls[];
