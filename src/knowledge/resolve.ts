/**
 * Resolves a kube-bench check to its knowledge entry and turns the entry into the per-check triage.
 * (benchmark, id) comes first; the check's text decides when the id is unknown, when the input
 * does not name its benchmark (plain text, like the seed), and when the text names another topic
 * outright (ids move between kube-bench releases; texts of one topic stay recognisable).
 */
import type { CheckResult } from '../model/result.js';
import type { KnowledgeEntry, Source, Triage } from '../model/knowledge.js';
import { knowledgeBase } from './load.js';
import type { KnowledgeBase } from './load.js';
import { normaliseBenchmark, normaliseText } from './normalise.js';

export type CheckRef = Pick<CheckResult, 'id' | 'benchmark' | 'title'>;

export function resolveIn(kb: KnowledgeBase, check: CheckRef): KnowledgeEntry | null {
  const benchmark = normaliseBenchmark(check.benchmark);
  // A known benchmark's check outside the sections we cover (e.g. cis-1.x master 1.2.x, whose
  // texts repeat kubelet wording such as --client-ca-file) must not borrow a node topic by text.
  const covered = benchmark ? kb.sections.get(benchmark) : undefined;
  if (covered && !covered.has(check.id.trim().split('.')[0] ?? '')) return null;
  const byId = benchmark ? (kb.byId.get(`${benchmark}|${check.id.trim()}`) ?? null) : null;
  const text = normaliseText(check.title ?? '');
  const exact = text ? (kb.byText.get(text) ?? null) : null;
  if (exact) return exact;
  if (byId) return byId;
  return text ? byRules(kb, text) : null;
}

function byRules(kb: KnowledgeBase, text: string): KnowledgeEntry | null {
  let best: KnowledgeEntry | null = null;
  let bestScore = 0;
  let tie = false;
  for (const { entry, rule } of kb.rules) {
    if (!rule.all.every((w) => text.includes(w))) continue;
    if (rule.none.some((w) => text.includes(w))) continue;
    // The rule naming more of the text is the more specific one.
    const score = rule.all.reduce((n, w) => n + w.length, 0);
    if (score > bestScore) {
      best = entry;
      bestScore = score;
      tie = false;
    } else if (score === bestScore && best !== entry) tie = true;
  }
  return tie ? null : best;
}

export function formatSource(s: Source): string {
  const parts = [s.title];
  if (s.edition) parts.push(`(${s.edition})`);
  if (s.url) parts.push(s.url);
  return parts.join(' ');
}

export function triageOf(entry: KnowledgeEntry, benchmark: string | null): Triage {
  const b = normaliseBenchmark(benchmark);
  const kb = knowledgeBase();
  const override = b
    ? entry.overrides.find((o) => o.benchmarks.some((name) => (kb.meta.benchmarkGroups[name] ?? [name]).map((x) => x.toLowerCase()).includes(b)))
    : undefined;
  return {
    topic: entry.topic,
    title: entry.title,
    disposition: override?.disposition ?? entry.disposition,
    responsibility: entry.responsibility,
    rationale: override?.rationale ?? entry.rationale,
    mitigation: entry.mitigation,
    verify: entry.verify ?? 'Read the setting on the cluster or in the Azure portal as the mitigation describes.',
    sources: entry.sources.map(formatSource),
    whatToDo: override?.whatToDo ?? entry.whatToDo,
  };
}
