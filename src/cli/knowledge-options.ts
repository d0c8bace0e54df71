/** Wires the knowledge base and waivers into the explain report. */
import type { Waiver } from '../knowledge/index.js';
import { applyWaivers, effectiveWaivers, expiredWaivers, legacyFinding, loadWaiverConfig, triageCheck } from '../knowledge/index.js';
import type { ExplainOptions, KubernetesVersionInfo, WaiverMark } from '../report/explain.js';

export interface KnowledgeChoice {
  /** Waiver files, merged in order. */
  waiverFiles: string[];
  defaultWaivers: boolean;
  /** Where the output came from, for scoped waivers; explain of a file has none. */
  scope?: { subscriptionId?: string; clusterId?: string };
  now?: Date;
  /** The node's Kubernetes version: verdicts and default waivers depend on it. */
  kubernetesVersion?: KubernetesVersionInfo | null;
}

export function waiverMark(w: Waiver): WaiverMark {
  return { id: w.id, reason: w.reason, owner: w.owner, expires: w.expires, source: w.source };
}

export async function knowledgeOptions(choice: KnowledgeChoice): Promise<ExplainOptions> {
  const configs = choice.waiverFiles.map((f) => loadWaiverConfig(f));
  const merged = configs.length
    ? {
        waivers: configs.flatMap((c) => c.waivers),
        useDefaults: configs.every((c) => c.useDefaults),
        disabledDefaults: configs.flatMap((c) => c.disabledDefaults),
      }
    : null;
  const waivers = effectiveWaivers(merged, choice.defaultWaivers);
  const now = choice.now ?? new Date();
  // Every expired waiver in scope is listed for review, not only those that would have matched.
  const expired: WaiverMark[] = expiredWaivers(waivers, { ...choice.scope }, now).map(waiverMark);
  const version = choice.kubernetesVersion ?? null;
  const context = { kubernetesVersion: version?.version ?? null };
  return {
    triage: (c) => triageCheck(c, context),
    kubernetesVersion: version,
    legacy: (checks) => legacyFinding(checks, context.kubernetesVersion),
    waivers: (c, node) => {
      if (c.status !== 'FAIL' && c.status !== 'WARN') return null;
      const r = applyWaivers([c], waivers, { ...choice.scope, ...(node.pool ? { pool: node.pool } : {}) }, now, context);
      const w = r.waivedBy[0];
      return w ? waiverMark(w) : null;
    },
    expiredWaivers: expired,
  };
}
