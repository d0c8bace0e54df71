/**
 * Which checks fail on a simulated node. Profiles name topics rather than ids because a check id
 * means something only within its benchmark (RotateKubeletServerCertificate is 3.2.11 in aks-1.0
 * and 3.2.9 in aks-1.7/1.8); topics are resolved against each benchmark's own check texts.
 */
import type { NodeProfile, PoolSpec } from './fleet-spec.js';
import { loadControls } from './kube-bench-cfg.js';

const TOPICS: Readonly<Record<string, RegExp>> = {
  'anonymous-auth': /--anonymous-auth/,
  'read-only-port': /--read-only-port/,
  'event-qps': /--event-qps|--eventRecordQPS/,
  'rotate-server-cert': /RotateKubeletServerCertificate/,
  'kubeconfig-perms': /kubeconfig file permissions/,
  'streaming-idle-timeout': /--streaming-connection-idle-timeout/,
};

/**
 * aks-default: what kube-bench reports on a stock AKS node: RotateKubeletServerCertificate fails
 * because it is not set explicitly, and eventRecordQPS because AKS leaves it at 5 while the check
 * wants 0 (shared/README.md, kube-bench issues #1147 and #1953).
 */
const PROFILES: Readonly<Record<NodeProfile, readonly string[]>> = {
  'aks-default': ['rotate-server-cert', 'event-qps'],
  hardened: [],
  drifted: ['rotate-server-cert', 'event-qps', 'anonymous-auth', 'read-only-port', 'kubeconfig-perms'],
};

/** The check ids of `benchmark` whose text matches a topic. */
export function idsForTopic(benchmark: string, topic: string): string[] {
  const re = TOPICS[topic];
  if (!re) throw new Error(`unknown check topic ${topic}`);
  return loadControls(benchmark).groups.flatMap((g) => g.checks.filter((c) => re.test(c.text)).map((c) => c.id));
}

export function profileFailing(profile: NodeProfile, benchmark: string): Set<string> {
  return new Set(PROFILES[profile].flatMap((t) => idsForTopic(benchmark, t)));
}

/** The failing check ids for a pool's nodes under `benchmark`: its profile plus its explicit list. */
export function failingChecks(pool: Pick<PoolSpec, 'profile' | 'failing'>, benchmark: string): Set<string> {
  const ids = profileFailing(pool.profile, benchmark);
  const extra = Array.isArray(pool.failing) ? pool.failing : (pool.failing[benchmark] ?? []);
  for (const id of extra) ids.add(id);
  return ids;
}
