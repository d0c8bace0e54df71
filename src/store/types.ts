/** What the store hands back to the API, the diff and the CLI. Plain data, JSON-safe. */
import type { ClusterRef, FailReason, OutcomeKind, SkipReason } from '../model/cluster.js';
import type { CheckResult, CheckStatus, NodeFailure, Totals } from '../model/result.js';

import type { RunTrigger } from '../model/run.js';

// The model defines these once; the store's readers re-export them for their callers.
export type { OutcomeKind, RunTrigger };

/** The knowledge base's verdict on one check, or null when it does not know the check. */
export interface Classification {
  topic: string;
  title: string;
  disposition: string;
}
/** Classifies a check as seen on a node pool (null: no pool known); verdicts may depend on the pool's version. */
export type Classifier = (check: CheckResult, pool: string | null) => Classification | null;

/** Disposition counted for checks the classifier did not know. */
export const UNKNOWN_DISPOSITION = 'unknown';

export interface RunStart {
  runId: string;
  trigger: RunTrigger;
  startedAt: string;
  queued: number;
}

export interface RunRecord {
  runId: string;
  trigger: RunTrigger;
  startedAt: string;
  /** Clusters enqueued by the timer. */
  queued: number;
  /** Clusters finished with any outcome: scanned + skipped + failed. */
  done: number;
  scanned: number;
  skipped: number;
  failed: number;
  /** queued - done, never below 0. */
  pending: number;
  complete: boolean;
  /** When the last cluster of the run reported, or null if none has yet. */
  lastReportAt: string | null;
  /** The run's Teams digests, one per channel, once built (src/alert/run-digest.ts). */
  alerts: DigestDelivery[];
}

/**
 * pending: built, not yet posted; posting: a worker holds the claim; sent: the webhook accepted it;
 * failed: the last attempt failed and housekeeping retries it at nextAttemptAt; gave-up: retried for
 * 24 hours without success (kept, and logged as an error).
 */
export const DELIVERY_STATUSES = ['pending', 'posting', 'sent', 'failed', 'gave-up'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One digest of a run for one channel and how its posting went. Never holds the webhook URL. */
export interface DigestDelivery {
  /** The route's name, or "default" for TEAMS_WEBHOOK_URL. */
  channel: string;
  /** 1: the run's digest; 2 and up: a late digest of clusters that reported after the one before. */
  generation: number;
  status: DeliveryStatus;
  /** HTTP requests made so far, retries included. */
  attempts: number;
  /** The last answer's HTTP status; null when none came. */
  httpStatus: number | null;
  /** The last outcome in one line (the webhook's host at most). */
  detail: string;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** When housekeeping tries again (failed only). */
  nextAttemptAt: string | null;
  /** Size of the message sent, in bytes. */
  bytes: number;
  clusters: number;
  newFails: number;
  fixed: number;
}

export interface ClusterSummary {
  clusterId: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  /** The cluster's ARM tags at its latest attempt. */
  tags: Record<string, string>;
  /** The latest attempt: its outcome and ids. */
  outcome: OutcomeKind;
  reason: SkipReason | FailReason | null;
  detail: string | null;
  benchmark: string | null;
  scanId: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  /**
   * Start of the earliest attempt the fleet entity has seen, of any outcome (entities written before
   * it was recorded report their latest attempt's start). A never-scanned cluster is stale from it.
   */
  firstAttemptAt: string;
  /**
   * Results of the latest attempt that scanned (the same scan as above when it scanned; an earlier
   * one when the latest was skipped or failed; null when the cluster was never scanned).
   */
  results: ClusterResultsSummary | null;
}

/**
 * What the fleet digest keeps of a cluster (codec/digest.ts): what the fleet summary, the listing's
 * order and filters (all but tags) and "which clusters fail topic T" need, without tags, details or
 * check lists. `key` is the fleet entity's RowKey; results carry their start to order them.
 */
export type ClusterDigest = Pick<
  ClusterSummary,
  | 'clusterId'
  | 'subscriptionId'
  | 'resourceGroup'
  | 'name'
  | 'kubernetesVersion'
  | 'outcome'
  | 'reason'
  | 'scanId'
  | 'startedAt'
  | 'finishedAt'
  | 'firstAttemptAt'
> & {
  key: string;
  results:
    | (Pick<ClusterResultsSummary, 'scanId' | 'finishedAt' | 'benchmark' | 'totals' | 'triage' | 'failingTopics' | 'failingTruncated'> & { startedAt: string })
    | null;
};

/** The fleet entity's two pointers. */
export interface ClusterPointers {
  /** The latest attempt, of any outcome. */
  scanId: string;
  /** The latest attempt that scanned; null when none did. */
  resultsScanId: string | null;
}

export interface ClusterResultsSummary {
  scanId: string;
  finishedAt: string;
  benchmark: string | null;
  totals: Totals;
  nodes: number;
  nodeFailures: number;
  pools: string[];
  /** Distinct failing checks per disposition ("action", "platform", ..., "unknown"). */
  triage: Record<string, number>;
  /** Knowledge-base topics with at least one FAIL, sorted. */
  failingTopics: string[];
  /** Failing checks as "benchmark:id" (e.g. "aks-1.8:3.2.4"), sorted; unknown benchmark is "-". */
  failingChecks: string[];
  /** True when a list was cut to fit the entity (a 32K-character property). */
  failingTruncated: boolean;
}

/** One check of one pool, rolled up over the pool's nodes. */
export interface StoredCheck {
  pool: string | null;
  id: string;
  benchmark: string | null;
  section: string | null;
  title: string;
  /** Worst status over the pool's nodes: FAIL, then WARN, then PASS, then INFO. */
  status: CheckStatus;
  /** How many of the pool's nodes reported each status. */
  counts: Totals;
  failingNodes: string[];
  topic: string | null;
  topicTitle: string | null;
  disposition: string | null;
}

export interface StoredNode {
  name: string;
  pool: string | null;
  benchmark: string | null;
  totals: Totals;
  warnings: number;
}

export type StoredOutcome =
  { kind: 'scanned' } | { kind: 'skipped'; reason: SkipReason; detail: string } | { kind: 'failed'; reason: FailReason; detail: string };

/** One cluster's scan in a run's rollup (the dashboard's trend). */
export interface RunRollupScan {
  clusterId: string;
  scanId: string;
  startedAt: string;
  fail: number;
  /** Distinct failing checks per disposition, as ScanTotals.triage. */
  triage: Record<string, number>;
}

/** The scanned clusters of one run, stored once the run is over so the trend reads one entity per run. */
export interface RunRollup {
  runId: string;
  scans: RunRollupScan[];
}

export interface ScanTotals {
  clusterId: string;
  scanId: string;
  runId: string;
  benchmark: string | null;
  startedAt: string;
  finishedAt: string;
  outcome: StoredOutcome;
  totals: Totals;
  nodes: number;
  nodeFailures: number;
  triage: Record<string, number>;
}

export interface StoredClusterScan extends ScanTotals {
  cluster: Pick<ClusterRef, 'id' | 'subscriptionId' | 'resourceGroup' | 'name' | 'location' | 'kubernetesVersion'>;
  nodeList: StoredNode[];
  nodeFailureList: NodeFailure[];
  checks: StoredCheck[];
}

export interface PruneResult {
  /** Cluster scans removed (each with its node results). */
  deleted: number;
  /** Scan runs removed. */
  runsDeleted: number;
  /** Table entities removed in all. */
  entitiesDeleted: number;
}

/** Exact matches, applied by the service within the fleet partition; values are OData-escaped. */
export interface SummaryFilter {
  /** Compared case-insensitively. */
  subscriptionId?: string;
  /** Compared case-insensitively. */
  resourceGroup?: string;
  /** The latest results' benchmark (results.benchmark); clusters never scanned match none. */
  benchmark?: string;
}

export interface FailingFilter {
  /** A knowledge-base topic id. */
  topic?: string;
  /** "benchmark:id", as in ClusterResultsSummary.failingChecks. */
  check?: string;
}

/** One row of a topic's aggregate: a cluster whose latest results fail the topic. */
export interface TopicFailure {
  clusterId: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** The topic's disposition on this cluster: a "yours" one (action, environment) when any failing check's is. */
  disposition: string;
  /** Pools where the topic fails ("" for nodes without a known pool). */
  pools: string[];
  /** Failing checks of the topic, as "benchmark:id". */
  checks: string[];
  /** True when pools or checks were cut to fit the row. */
  truncated: boolean;
}
