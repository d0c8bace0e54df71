/** Wires the knowledge base and waivers into the explain report. */
import type { Waiver } from '../knowledge/index.js';
import { applyWaivers, effectiveWaivers, loadWaiverConfig, triageCheck } from '../knowledge/index.js';
import type { ExplainOptions, WaiverMark } from '../report/explain.js';

export interface KnowledgeChoice {
  waiversFile: string | undefined;
  defaultWaivers: boolean;
  /** Where the output came from, for scoped waivers; explain of a file has none. */
  scope?: { subscriptionId?: string; clusterId?: string };
  now?: Date;
}

export function waiverMark(w: Waiver): WaiverMark {
  return { id: w.id, reason: w.reason, owner: w.owner, expires: w.expires, source: w.source };
}

export async function knowledgeOptions(choice: KnowledgeChoice): Promise<ExplainOptions> {
  const config = choice.waiversFile ? loadWaiverConfig(choice.waiversFile) : null;
  const waivers = effectiveWaivers(config, choice.defaultWaivers);
  const now = choice.now ?? new Date();
  const expired: WaiverMark[] = [];
  return {
    triage: (c) => triageCheck(c),
    waivers: (c, node) => {
      if (c.status !== 'FAIL' && c.status !== 'WARN') return null;
      const r = applyWaivers([c], waivers, { ...choice.scope, ...(node.pool ? { pool: node.pool } : {}) }, now);
      for (const w of r.expired) if (!expired.some((e) => e.id === w.id)) expired.push(waiverMark(w));
      const w = r.waivedBy[0];
      return w ? waiverMark(w) : null;
    },
    // Filled while the report is built; read by the report at the end.
    expiredWaivers: expired,
  };
}
