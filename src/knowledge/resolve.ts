/**
 * Resolves a kube-bench check to its knowledge entry and turns the entry into the per-check triage.
 * (benchmark, id) comes first; the check's text decides when the id is unknown, when the input
 * does not name its benchmark (plain text, like the seed), and when the text names another topic
 * outright (ids move between kube-bench releases; texts of one topic stay recognisable).
 */
import type { CheckResult } from '../model/result.js';
import { ESCALATION_FLAGS } from '../model/knowledge.js';
import type { Area, Escalation, KnowledgeEntry, Source, Triage, VersionRule } from '../model/knowledge.js';
import { knowledgeBase } from './load.js';
import type { KnowledgeBase } from './load.js';
import { normaliseBenchmark, normaliseText } from './normalise.js';
import { describeRange, inVersionRange, parseKubeVersion } from './version.js';

/** What resolution and triage read of a check; actual and nodeType are optional so id/text-only callers compile. */
export type CheckRef = Pick<CheckResult, 'id' | 'benchmark' | 'title'> & Partial<Pick<CheckResult, 'actual' | 'nodeType'>>;

/**
 * kube-bench node type (from a text report's section header) → the areas whose entries its checks may
 * match by text. master and etcd map to no area: the data covers no API server or etcd check, and their
 * wording (--anonymous-auth, --client-ca-file, RotateKubeletServerCertificate) repeats the kubelet's.
 */
const AREAS_OF_NODE_TYPE: Readonly<Record<string, readonly Area[]>> = {
  node: ['node-files', 'kubelet', 'kube-proxy'],
  controlplane: ['controlplane'],
  policies: ['policies'],
  managedservices: ['managedservices'],
  master: [],
  etcd: [],
};

/** The areas a text match may land in, or null for no restriction (benchmark known, or node type unknown). */
function allowedAreas(benchmark: string | null, nodeType: string | null | undefined): ReadonlySet<Area> | null {
  if (benchmark !== null || nodeType === null || nodeType === undefined) return null;
  const areas = AREAS_OF_NODE_TYPE[nodeType.trim().toLowerCase()];
  return areas ? new Set(areas) : null;
}

export function resolveIn(kb: KnowledgeBase, check: CheckRef): KnowledgeEntry | null {
  const benchmark = normaliseBenchmark(check.benchmark);
  const areas = allowedAreas(benchmark, check.nodeType);
  if (areas && areas.size === 0) return null;
  // A known benchmark's check outside the sections we cover (e.g. cis-1.x master 1.2.x, whose
  // texts repeat kubelet wording such as --client-ca-file) must not borrow a node topic by text.
  const covered = benchmark ? kb.sections.get(benchmark) : undefined;
  if (covered && !covered.has(check.id.trim().split('.')[0] ?? '')) return null;
  const byId = benchmark ? (kb.byId.get(`${benchmark}|${check.id.trim()}`) ?? null) : null;
  const text = normaliseText(check.title ?? '');
  const found = text ? (kb.byText.get(text) ?? null) : null;
  const exact = found && (!areas || areas.has(found.area)) ? found : null;
  if (exact) return exact;
  if (byId) return byId;
  return text ? byRules(kb, text, areas) : null;
}

function byRules(kb: KnowledgeBase, text: string, areas: ReadonlySet<Area> | null): KnowledgeEntry | null {
  let best: KnowledgeEntry | null = null;
  let bestScore = 0;
  let tie = false;
  for (const { entry, rule } of kb.rules) {
    if (areas && !areas.has(entry.area)) continue;
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

const compiled = new Map<string, RegExp>();

function regexOf(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(source, ESCALATION_FLAGS);
    compiled.set(source, re);
  }
  return re;
}

/** The first rule whose `when` matches what kube-bench read; none without an actual value. */
export function escalationFor(rules: readonly Escalation[], actual: string | null | undefined): Escalation | null {
  if (actual === null || actual === undefined || actual.trim() === '') return null;
  return rules.find((r) => regexOf(r.when).test(actual)) ?? null;
}

/** Whether a list of benchmark names or groups from the data takes in benchmark b (already normalised). */
function names(kb: KnowledgeBase, list: readonly string[], b: string): boolean {
  return list.some((name) => (kb.meta.benchmarkGroups[name] ?? [name]).map((x) => x.toLowerCase()).includes(b));
}

/** The entry's version rule for this version and benchmark, if one holds. */
export function versionRuleFor(entry: KnowledgeEntry, benchmark: string | null, version: string | null | undefined): VersionRule | null {
  if (!version || !parseKubeVersion(version)) return null;
  const b = normaliseBenchmark(benchmark);
  const kb = knowledgeBase();
  return entry.versions.find((r) => inVersionRange(version, r) && (r.benchmarks === undefined || (b !== null && names(kb, r.benchmarks, b)))) ?? null;
}

/**
 * The entry's triage for this benchmark and, when given, this actual value and Kubernetes version:
 * a version rule (AKS set the value only from some version on) comes first, then a benchmark override;
 * an escalate rule matching the actual value (the override's first, then the entry's) replaces all of
 * them, because the value shows a real failure. Without a version the verdict is the one for current AKS.
 */
export function triageOf(entry: KnowledgeEntry, benchmark: string | null, actual?: string | null, kubernetesVersion?: string | null, checkId?: string): Triage {
  const b = normaliseBenchmark(benchmark);
  const kb = knowledgeBase();
  const override = b ? entry.overrides.find((o) => names(kb, o.benchmarks, b)) : undefined;
  const rule = versionRuleFor(entry, benchmark, kubernetesVersion);
  const escalation = escalationFor([...(override?.escalate ?? []), ...entry.escalate], actual);
  const version = kubernetesVersion && parseKubeVersion(kubernetesVersion) ? kubernetesVersion : null;
  // A legacy edition's check (its id is one of the entry's legacy ids, and no current benchmark is named)
  // misfires for its own reasons, e.g. it stats kubeadm paths that do not exist on AKS.
  const legacyCheck = checkId !== undefined && (b === null || /^\d+\.\d+$/.test(b)) && entry.legacy.some((l) => l.id === checkId.trim());
  const entryMisfire = (legacyCheck ? entry.legacyMisfire : undefined) ?? entry.misfire ?? null;
  return {
    topic: entry.topic,
    title: entry.title,
    disposition: escalation?.disposition ?? rule?.disposition ?? override?.disposition ?? entry.disposition,
    responsibility: escalation?.responsibility ?? rule?.responsibility ?? entry.responsibility,
    rationale: escalation?.rationale ?? rule?.rationale ?? override?.rationale ?? entry.rationale,
    why: entry.why.trim(),
    mitigation: entry.mitigation,
    verify: entry.verify ?? 'Read the setting on the cluster or in the Azure portal as the mitigation describes.',
    answers: entry.answers ?? null,
    sources: entry.sources.map(formatSource),
    whatToDo: escalation?.whatToDo ?? rule?.whatToDo ?? override?.whatToDo ?? entry.whatToDo,
    escalatedBy: escalation?.when ?? null,
    // An escalated value is no misfire: the check read a real failure.
    misfire: escalation ? null : rule ? (rule.misfire ?? null) : (override?.misfire ?? entryMisfire),
    kubernetesVersion: version,
    versionRule: rule && !escalation ? describeRange(rule) : null,
  };
}
