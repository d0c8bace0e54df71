/**
 * The Microsoft Teams message for one cluster's new FAILs: an Adaptive Card 1.4 (Workflows has
 * rejected 1.5) wrapped as Workflows expects, `{"type":"message","attachments":[...]}`. Only new,
 * unwaived FAILs are listed, the customer's own first, and the JSON stays under about 20 KB because
 * Workflows has failed from about 21 KB (documented limit 28 KB); the rest is counted as "+N more".
 * Source: /work/shared/reference/peers.md, "Microsoft Teams webhooks".
 */
import { YOURS } from '../model/knowledge.js';
import { triageCheck } from '../knowledge/index.js';
import { InputError } from '../model/errors.js';
import type { DiffItem, ScanDiff } from '../diff/diff.js';
import type { WaivedBy } from './waived.js';
import { largestFitting } from './fit.js';
import { parseDashboardUrl } from './links.js';

export const TEAMS_BUDGET_BYTES = 20_000;
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** Less than the JSON of any listed check (a Container with two TextBlocks is about 200 bytes). */
const MIN_ITEM_BYTES = 100;
/** Dispositions whose fix is the cluster owner's: listed first under "yours to fix". */
export const YOURS_TO_FIX: ReadonlySet<string> = new Set<string>(YOURS);

export interface TeamsCluster {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
}

export interface TeamsMessageInput {
  cluster: TeamsCluster;
  diff: ScanDiff;
  waivedBy: WaivedBy;
  /** Link for the card's "Open dashboard" button; http(s) only. */
  dashboardUrl?: string;
  scanId: string;
  /** The knowledge base's one line on what to do; defaults to its triage of the check. */
  whatToDo?: (item: DiffItem) => string | null;
  /** List at most this many checks (e.g. a short summary for a first scan); the rest are "+N more". */
  maxItems?: number;
  /** JSON byte budget of the whole body; default 20,000. */
  budgetBytes?: number;
}

export interface TeamsMessage {
  body: TeamsBody;
  /** UTF-8 bytes of JSON.stringify(body): what goes on the wire. */
  bytes: number;
  /** Checks listed on the card. */
  included: number;
  /** New unwaived FAILs left off to fit the budget or maxItems ("+N more"). */
  omitted: number;
  /** New FAILs hidden because a waiver covers them. */
  waived: number;
}

export interface TeamsBody {
  type: 'message';
  attachments: { contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }[];
}

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.4';
  body: CardElement[];
  actions?: { type: 'Action.OpenUrl'; title: string; url: string }[];
}

export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      weight?: 'Bolder';
      size?: 'Medium' | 'Small';
      isSubtle?: true;
      spacing?: 'None' | 'Small' | 'Medium';
      color?: 'Attention' | 'Good' | 'Warning';
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[] }
  | { type: 'Container'; items: CardElement[]; separator?: true };

/** One line of at most `max` characters, with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** The knowledge base's one line on what to do about a check. */
export function defaultWhatToDo(item: DiffItem): string | null {
  return triageCheck({ id: item.id, benchmark: item.benchmark, title: item.title })?.whatToDo ?? null;
}

export function compareItems(a: DiffItem, b: DiffItem): number {
  return a.id.localeCompare(b.id, 'en', { numeric: true }) || (a.pool ?? '').localeCompare(b.pool ?? '') || a.key.localeCompare(b.key);
}

function itemElement(it: DiffItem, whatToDo: string | null): CardElement {
  const nodes = it.failingNodes.length;
  const meta = [
    `pool ${it.pool ?? '-'}`,
    it.disposition ?? 'unknown to the knowledge base',
    `${it.benchmark ?? 'benchmark unknown'}`,
    ...(nodes > 0 ? [`${nodes} node${nodes === 1 ? '' : 's'}`] : []),
  ].join(' · ');
  return {
    type: 'Container',
    separator: true,
    items: [
      { type: 'TextBlock', text: clip(`${it.id} ${it.title}`, 240), wrap: true, weight: 'Bolder' },
      { type: 'TextBlock', text: clip(meta, 160), wrap: true, isSubtle: true, size: 'Small', spacing: 'None' },
      ...(whatToDo ? [{ type: 'TextBlock' as const, text: clip(whatToDo, 300), wrap: true as const, size: 'Small' as const, spacing: 'None' as const }] : []),
    ],
  };
}

/** UTF-8 bytes of the JSON: what goes on the wire. */
export function byteLength(body: unknown): number {
  return Buffer.byteLength(JSON.stringify(body), 'utf8');
}

export function checkDashboardUrl(url: string): string {
  return parseDashboardUrl(url, 'dashboardUrl').href;
}

/** The Workflows envelope around an Adaptive Card 1.4 with this body and an optional dashboard button. */
export function teamsBody(body: CardElement[], dashboard: string | null): TeamsBody {
  const card: AdaptiveCard = {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(dashboard ? { actions: [{ type: 'Action.OpenUrl' as const, title: 'Open dashboard', url: dashboard }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/**
 * The message for the diff's new, unwaived FAILs, or null when there are none: nothing new means
 * no message at all (fixes alone are not worth a ping; the dashboard shows them).
 */
export function buildTeamsMessage(input: TeamsMessageInput): TeamsMessage | null {
  const budget = input.budgetBytes ?? TEAMS_BUDGET_BYTES;
  const maxItems = input.maxItems ?? Number.POSITIVE_INFINITY;
  if (!(maxItems >= 0)) throw new InputError('maxItems', 'must be 0 or more');
  const dashboard = input.dashboardUrl !== undefined ? checkDashboardUrl(input.dashboardUrl) : null;
  const whatToDoOf = input.whatToDo ?? defaultWhatToDo;

  const open = input.diff.newFailures.filter((it) => input.waivedBy(it) === null);
  const waived = input.diff.newFailures.length - open.length;
  if (open.length === 0) return null;
  const yours = open.filter((it) => YOURS_TO_FIX.has(it.disposition ?? '')).sort(compareItems);
  const others = open.filter((it) => !YOURS_TO_FIX.has(it.disposition ?? '')).sort(compareItems);
  const ordered = [...yours, ...others];
  // Built on demand: only the checks that can fit are resolved against the knowledge base.
  const elements = new Map<DiffItem, CardElement>();
  const elementOf = (it: DiffItem): CardElement => {
    let e = elements.get(it);
    if (!e) elements.set(it, (e = itemElement(it, whatToDoOf(it))));
    return e;
  };

  const fixed = input.diff.fixed.filter((it) => it.after !== null).length;
  const gone = input.diff.fixed.length - fixed;
  const c = input.cluster;
  const headline = input.diff.firstScan
    ? `First scan of ${clip(c.name, 120)}: ${open.length} FAIL${open.length === 1 ? '' : 's'} to review`
    : `${open.length} new FAIL${open.length === 1 ? '' : 's'} on ${clip(c.name, 120)}`;
  const facts = [
    { title: 'Cluster', value: clip(`${c.subscriptionId} / ${c.resourceGroup} / ${c.name}`, 300) },
    { title: 'Scan', value: clip(input.scanId, 120) },
    { title: input.diff.firstScan ? 'FAILs (first scan)' : 'New FAILs', value: `${open.length} (${yours.length} yours to fix)` },
    ...(waived > 0 ? [{ title: 'Waived', value: `${waived} new FAIL${waived === 1 ? '' : 's'} not listed` }] : []),
    ...(input.diff.firstScan
      ? []
      : [
          { title: 'Fixed', value: String(fixed) },
          { title: 'Still failing', value: String(input.diff.stillFailing.length) },
        ]),
    ...(gone > 0 ? [{ title: 'No longer reported', value: `${gone} (pool removed or check gone)` }] : []),
  ];

  const build = (n: number): TeamsBody => {
    const shown = ordered.slice(0, n);
    const body: CardElement[] = [
      { type: 'TextBlock', text: headline, wrap: true, weight: 'Bolder', size: 'Medium', ...(yours.length > 0 ? { color: 'Attention' as const } : {}) },
      { type: 'FactSet', facts },
    ];
    const shownYours = shown.filter((it) => YOURS_TO_FIX.has(it.disposition ?? ''));
    const shownOthers = shown.slice(shownYours.length);
    if (shownYours.length > 0) {
      body.push({ type: 'TextBlock', text: `Yours to fix (${yours.length})`, wrap: true, weight: 'Bolder', spacing: 'Medium' });
      for (const it of shownYours) body.push(elementOf(it));
    }
    if (shownOthers.length > 0) {
      body.push({
        type: 'TextBlock',
        text: `Other new FAILs (${others.length}): check the disposition before acting`,
        wrap: true,
        weight: 'Bolder',
        spacing: 'Medium',
      });
      for (const it of shownOthers) body.push(elementOf(it));
    }
    const more = ordered.length - n;
    if (more > 0)
      body.push({
        type: 'TextBlock',
        text: `+${more} more new FAIL${more === 1 ? '' : 's'} not shown${dashboard ? ': see the dashboard' : ''}`,
        wrap: true,
        isSubtle: true,
      });
    return teamsBody(body, dashboard);
  };

  // A listed check takes well over MIN_ITEM_BYTES of JSON, which bounds how many can ever fit.
  const hi = Math.min(ordered.length, maxItems, Math.floor(budget / MIN_ITEM_BYTES));
  const lo = largestFitting(hi, (n) => byteLength(build(n)) <= budget);
  const body = build(lo);
  const bytes = byteLength(body);
  if (bytes > budget) throw new InputError('Teams message', `does not fit ${budget} bytes even with no check listed (${bytes} bytes)`);
  return { body, bytes, included: lo, omitted: ordered.length - lo, waived };
}
