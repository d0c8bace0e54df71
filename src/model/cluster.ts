/**
 * Clusters as discovered from ARM, and the one outcome each cluster ends a scan with.
 * The reasons are closed unions so the compiler checks that every reason is handled and reported.
 */
import type { CheckResult, NodeFailure, Totals } from './result.js';

export interface NodePoolRef {
  name: string;
  osType: 'Linux' | 'Windows';
  mode: 'System' | 'User' | 'Gateway';
  count: number;
  /** e.g. "AKSUbuntu-2204gen2containerd-202611.10.0", when ARM reports it. */
  nodeImageVersion: string | null;
  orchestratorVersion: string | null;
}

/** What discovery learned of a cluster; plain data drawn from the ARM resource. */
export interface ClusterRef {
  /** The ARM resource id, lower-cased only for comparison, never for display. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  pools: NodePoolRef[];
  /** aadProfile.managed: run-command then needs a clusterToken. */
  aadManaged: boolean;
  azureRbac: boolean;
  private: boolean;
  powerState: 'Running' | 'Stopped' | string;
  provisioningState: string;
  runCommandDisabled: boolean;
  /**
   * Node auto-provisioning (nodeProvisioningProfile.mode Auto, always on for AKS Automatic): Karpenter
   * creates nodes that ARM's agent pools do not list, so having no Linux agent pool does not mean no
   * Linux node. Optional: queue messages written before it was read lack it.
   */
  nodeAutoProvisioning?: boolean;
  tags: Record<string, string>;
}

export type SkipReason = 'stopped' | 'run-command-disabled' | 'not-succeeded' | 'no-linux-pool' | 'opted-out';

export type FailReason =
  | 'not-found'
  | 'forbidden'
  | 'missing-cluster-token'
  | 'admission-denied'
  | 'image-pull'
  | 'command-not-started'
  | 'unschedulable'
  | 'timeout'
  | 'output-truncated'
  | 'throttled'
  | 'unparseable-output'
  /** The output exceeded a limit on what a cluster may send (src/parse/limits.ts). */
  | 'over-limit'
  | 'command-failed'
  | 'arm-unavailable'
  | 'poison-message'
  /** A per-cluster setting (a tag such as aks-fleet-scanner-image) is not valid. */
  | 'bad-setting'
  | 'internal';

export const SKIP_REASONS: readonly SkipReason[] = ['stopped', 'run-command-disabled', 'not-succeeded', 'no-linux-pool', 'opted-out'];
export const FAIL_REASONS: readonly FailReason[] = [
  'not-found',
  'forbidden',
  'missing-cluster-token',
  'admission-denied',
  'image-pull',
  'command-not-started',
  'unschedulable',
  'timeout',
  'output-truncated',
  'throttled',
  'unparseable-output',
  'over-limit',
  'command-failed',
  'arm-unavailable',
  'poison-message',
  'bad-setting',
  'internal',
];

/** One scanned node: the normalised checks, as the parsers produce them. */
export interface ScannedNode {
  name: string;
  pool: string | null;
  benchmark: string | null;
  totals: Totals;
  checks: CheckResult[];
  warnings: string[];
}

/** The one outcome every discovered cluster ends a scan with. */
export const OUTCOME_KINDS = ['scanned', 'skipped', 'failed'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

export type ClusterOutcome =
  | { kind: 'scanned'; nodes: ScannedNode[]; nodeFailures: NodeFailure[] }
  | { kind: 'skipped'; reason: SkipReason; detail: string }
  | { kind: 'failed'; reason: FailReason; detail: string };

export interface ClusterScan {
  cluster: ClusterRef;
  /** The benchmark chosen for the cluster, e.g. "aks-1.8". */
  benchmark: string | null;
  outcome: ClusterOutcome;
  startedAt: string;
  finishedAt: string;
}
