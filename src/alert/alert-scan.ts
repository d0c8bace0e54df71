/**
 * One cluster's alert, start to end: diff against the baseline, drop waived checks, build the card,
 * send it if a webhook is configured. Never throws for alerting problems: a failed alert must not
 * make the queue redeliver (and rescan) a cluster whose scan is already stored.
 */
import type { Waiver } from '../knowledge/index.js';
import { InputError } from '../model/errors.js';
import { diffScans } from '../diff/diff.js';
import type { ScanDiff } from '../diff/diff.js';
import type { StoredClusterScan } from '../store/types.js';
import type { AlertOutcome, SendOptions } from './send.js';
import { parseWebhookUrl, sendTeams } from './send.js';
import { buildTeamsMessage } from './teams.js';
import { waiverLookup } from './waived.js';

/** Checks listed for a first scan: a short summary, not the whole report. */
export const FIRST_SCAN_MAX_ITEMS = 10;

export interface AlertRequest {
  previous: StoredClusterScan | null;
  current: StoredClusterScan;
  /** TEAMS_WEBHOOK_URL; undefined or empty: alerts are off and the outcome is "skipped". */
  webhookUrl: string | undefined;
  /** Typically effectiveWaivers(config, true): the operator's file, then the shipped defaults. */
  waivers: readonly Waiver[];
  now: Date;
  dashboardUrl?: string;
  firstScanMaxItems?: number;
  send?: SendOptions;
}

export interface AlertReport {
  outcome: AlertOutcome;
  diff: ScanDiff;
  /** New FAILs listed / left off / waived; null when no message was built. */
  message: { bytes: number; included: number; omitted: number; waived: number } | null;
}

export async function alertNewFailures(req: AlertRequest): Promise<AlertReport> {
  const diff = diffScans(req.previous, req.current);
  const skipped = (detail: string): AlertReport => ({ outcome: { status: 'skipped', httpStatus: null, attempts: 0, detail }, diff, message: null });
  if (!req.webhookUrl) return skipped('TEAMS_WEBHOOK_URL is not set');
  try {
    parseWebhookUrl(req.webhookUrl);
  } catch (e) {
    // The message names the setting, never the value.
    return {
      outcome: { status: 'failed', httpStatus: null, attempts: 0, detail: e instanceof Error ? e.message : 'invalid TEAMS_WEBHOOK_URL' },
      diff,
      message: null,
    };
  }
  const c = req.current.cluster;
  const waivedBy = waiverLookup(diff.newFailures, req.waivers, { id: c.id, subscriptionId: c.subscriptionId, kubernetesVersion: c.kubernetesVersion }, req.now);
  let built: ReturnType<typeof buildTeamsMessage>;
  try {
    built = buildTeamsMessage({
      cluster: { id: c.id, name: c.name, subscriptionId: c.subscriptionId, resourceGroup: c.resourceGroup },
      diff,
      waivedBy,
      scanId: req.current.scanId,
      ...(req.dashboardUrl !== undefined ? { dashboardUrl: req.dashboardUrl } : {}),
      ...(diff.firstScan ? { maxItems: req.firstScanMaxItems ?? FIRST_SCAN_MAX_ITEMS } : {}),
    });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { outcome: { status: 'failed', httpStatus: null, attempts: 0, detail: `the Teams message could not be built: ${e.message}` }, diff, message: null };
  }
  if (!built) {
    const waived = diff.newFailures.length;
    return skipped(waived > 0 ? `no new FAIL that is not waived (${waived} new, all waived)` : 'no new FAIL');
  }
  const outcome = await sendTeams(req.webhookUrl, built.body, req.send ?? {});
  return { outcome, diff, message: { bytes: built.bytes, included: built.included, omitted: built.omitted, waived: built.waived } };
}
