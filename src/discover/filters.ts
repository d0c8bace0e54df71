/**
 * Which discovered clusters to scan, and why not the others. Every cluster ends with exactly one
 * outcome, so a cluster we do not scan gets a skip reason here rather than vanishing.
 */
import type { ClusterRef, SkipReason } from '../model/cluster.js';

/** The tag a cluster owner sets to opt out. It always wins. */
export const OPT_OUT_TAG = 'aks-fleet-scanner';
export const OPT_OUT_VALUE = 'skip';

export interface ClusterFilter {
  /** Glob over resource group names, `*` and `?` wildcards, case-insensitive. */
  resourceGroupPattern?: string;
  /** key=value (or bare key): scan only clusters carrying every one of these tags. */
  includeTags?: string[];
  /** key=value (or bare key): never scan clusters carrying any of these. */
  excludeTags?: string[];
}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function hasTag(tags: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  const key = (eq >= 0 ? spec.slice(0, eq) : spec).toLowerCase();
  const value = eq >= 0 ? spec.slice(eq + 1) : undefined;
  return Object.entries(tags).some(([k, v]) => k.toLowerCase() === key && (value === undefined || v.toLowerCase() === value.toLowerCase()));
}

/** Clusters outside the filter are not part of this scan at all (not even as skipped). */
export function inScope(c: ClusterRef, f: ClusterFilter): boolean {
  if (f.resourceGroupPattern && !globToRegExp(f.resourceGroupPattern).test(c.resourceGroup)) return false;
  if (f.includeTags?.length && !f.includeTags.every((t) => hasTag(c.tags, t))) return false;
  return true;
}

export interface SkipDecision {
  reason: SkipReason;
  detail: string;
}

/** Why an in-scope cluster cannot or must not be scanned, or null to scan it. */
export function skipDecision(c: ClusterRef, f: ClusterFilter = {}): SkipDecision | null {
  if (hasTag(c.tags, `${OPT_OUT_TAG}=${OPT_OUT_VALUE}`)) return { reason: 'opted-out', detail: `tag ${OPT_OUT_TAG}: ${OPT_OUT_VALUE}` };
  const excluded = f.excludeTags?.find((t) => hasTag(c.tags, t));
  if (excluded) return { reason: 'opted-out', detail: `excluded by tag filter ${excluded}` };
  if (c.powerState.toLowerCase() === 'stopped')
    return { reason: 'stopped', detail: 'powerState.code is Stopped: a stopped cluster accepts only start and delete' };
  if (c.provisioningState.toLowerCase() !== 'succeeded') return { reason: 'not-succeeded', detail: `provisioningState is ${c.provisioningState}` };
  if (c.runCommandDisabled) return { reason: 'run-command-disabled', detail: 'apiServerAccessProfile.disableRunCommand is true' };
  // With node auto-provisioning the Linux nodes come from Karpenter node pools, which the script finds in the cluster.
  if (!c.nodeAutoProvisioning && !c.pools.some((p) => p.osType === 'Linux' && p.count > 0)) {
    return { reason: 'no-linux-pool', detail: 'no Linux node pool with nodes: kube-bench cannot run on Windows nodes' };
  }
  return null;
}
