/** Checks as a real scan of an AKS node stores them: every node check of a vendored kube-bench cfg, classified by the knowledge base. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ClusterChange, DigestCluster } from '../../src/alert/digest.js';
import { compareChecks } from '../../src/diff/coverage.js';
import type { CheckStatus } from '../../src/model/result.js';
import { classifyCheck } from '../../src/pipeline/classify.js';
import type { StoredCheck } from '../../src/store/types.js';
import { KUBE_BENCH } from '../fixtures/paths.js';

interface CfgCheck {
  id: string;
  text: string;
}

/**
 * Every check of `benchmark`'s node.yaml and policies.yaml (where the customer's RBAC and pod
 * security checks are) on one pool; `fails(topic, id)` says which FAIL, the rest PASS.
 */
export function cfgChecks(benchmark: string, fails: (topic: string | null, id: string) => boolean, pool = 'nodepool1'): StoredCheck[] {
  return ['node', 'policies'].flatMap((file) => cfgFileChecks(benchmark, file, fails, pool));
}

interface CfgEntry {
  id: string;
  section: string;
  title: string;
  file: string;
  topic: string | null;
  topicTitle: string | null;
  disposition: string | null;
}

const parsed = new Map<string, CfgEntry[]>();

/** The cfg's checks with the knowledge base's verdict, read and classified once per file. */
function cfgEntries(benchmark: string, file: string): CfgEntry[] {
  const key = `${benchmark}/${file}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  const cfg = parseYaml(readFileSync(`${KUBE_BENCH}cfg/${key}.yaml`, 'utf8')) as { groups: { id: string; checks: CfgCheck[] }[] };
  const entries = cfg.groups.flatMap((g) =>
    g.checks.map((c) => {
      const cl = classifyCheck({
        id: c.id,
        benchmark,
        section: g.id,
        title: c.text,
        assessment: null,
        status: 'PASS',
        scored: true,
        kind: 'automated',
        nodeType: file,
        expected: null,
        actual: null,
        remediation: null,
        reason: null,
      });
      return { id: c.id, section: g.id, title: c.text, file, topic: cl?.topic ?? null, topicTitle: cl?.title ?? null, disposition: cl?.disposition ?? null };
    }),
  );
  parsed.set(key, entries);
  return entries;
}

function cfgFileChecks(benchmark: string, file: string, fails: (topic: string | null, id: string) => boolean, pool: string): StoredCheck[] {
  return cfgEntries(benchmark, file).map((e) => {
    const status: CheckStatus = fails(e.topic, e.id) ? 'FAIL' : 'PASS';
    return {
      pool,
      id: e.id,
      benchmark,
      section: e.section,
      title: e.title,
      status,
      counts: { pass: status === 'PASS' ? 1 : 0, fail: status === 'FAIL' ? 1 : 0, warn: 0, info: 0 },
      failingNodes: status === 'FAIL' ? [`aks-${pool}-0`] : [],
      topic: e.topic,
      topicTitle: e.topicTitle,
      disposition: e.disposition,
    };
  });
}

export function digestCluster(i: number, over: Partial<DigestCluster> = {}): DigestCluster {
  const sub = `00000000-0000-0000-0000-${String(1 + (i % 3)).padStart(12, '0')}`;
  const resourceGroup = over.resourceGroup ?? `rg-team-${i % 7}`;
  const name = over.name ?? `aks-${String(i).padStart(3, '0')}`;
  return {
    id: `/subscriptions/${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    subscriptionId: sub,
    resourceGroup,
    name,
    ...over,
  };
}

/** A cluster scanned now and before: its change between the two lists of checks (null: first scan). */
export function scannedChange(cluster: DigestCluster, previous: StoredCheck[] | null, current: StoredCheck[]): ClusterChange {
  return { cluster, outcome: { kind: 'scanned' }, previousOutcome: previous ? 'scanned' : null, changes: compareChecks(previous, current) };
}
