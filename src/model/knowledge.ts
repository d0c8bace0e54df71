/**
 * The AKS knowledge base and waivers: their types and the zod schemas that validate the reviewed
 * YAML under src/knowledge/data and the operators' waiver files. Defined once here so the loader,
 * the CLI, the API and the tests agree on one shape.
 */
import { z } from 'zod';
import { CLUSTER_ID, GUID } from './ids.js';

export const DISPOSITIONS = ['action', 'platform', 'equivalent-control', 'check-quirk', 'environment', 'obsolete'] as const;
/**
 * action: the customer should fix it. platform: AKS manages it, nothing to do. equivalent-control:
 * met another way. check-quirk: kube-bench's logic misfires on AKS. environment: depends on how the
 * customer runs the cluster. obsolete: gone from current benchmarks.
 */
export type Disposition = (typeof DISPOSITIONS)[number];

/** Dispositions as counted in reports: yours first, then the rest, then checks the knowledge base does not know. */
export const TRIAGE_KEYS = ['action', 'environment', 'platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'] as const;
export type TriageKey = (typeof TRIAGE_KEYS)[number];
/** "Yours to fix" in every report: fix it, or decide it for how you run the cluster. */
export const YOURS: readonly TriageKey[] = ['action', 'environment'];
export const NOT_YOURS: readonly TriageKey[] = ['platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'];

/** The report bucket of a disposition; anything unknown (or none) is "unknown". */
export function triageKeyOf(disposition: string | null | undefined): TriageKey {
  return disposition && (TRIAGE_KEYS as readonly string[]).includes(disposition) ? (disposition as TriageKey) : 'unknown';
}

export function emptyTriageCounts(): Record<TriageKey, number> {
  return Object.fromEntries(TRIAGE_KEYS.map((k) => [k, 0])) as Record<TriageKey, number>;
}

export const RESPONSIBILITIES = ['microsoft', 'customer', 'shared'] as const;
export type Responsibility = (typeof RESPONSIBILITIES)[number];

/** Microsoft's status words, as its CIS attestation tables write them. */
export const MS_STATUSES = ['Pass', 'Fail', 'Equivalent Control', 'N/A', 'Depends on Environment'] as const;
export type MsStatus = (typeof MS_STATUSES)[number];

export const AREAS = ['node-files', 'kubelet', 'kube-proxy', 'controlplane', 'policies', 'managedservices'] as const;
export type Area = (typeof AREAS)[number];

const nonEmpty = z.string().trim().min(1);
const topicId = z.string().regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)+$/, 'a topic id is lower-case words joined by dots or dashes, e.g. kubelet.read-only-port');
const checkId = z.string().regex(/^\d+(?:\.\d+)+$/, 'a check id is dotted numbers, e.g. 3.2.4');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is written YYYY-MM-DD');
/** A Kubernetes version as the data writes it: "1.27" or "1.27.3". */
export const KUBE_VERSION = /^1\.\d{1,2}(?:\.\d{1,3})?$/;
const kubeVersion = z.string().regex(KUBE_VERSION, 'a Kubernetes version is written 1.MINOR or 1.MINOR.PATCH, e.g. 1.27');
const commitSha = z.string().regex(/^[0-9a-f]{40}$/, 'a commit is its full 40-character hash');

export const SourceSchema = z
  .object({
    title: nonEmpty,
    url: z.string().url().optional(),
    /** Which table edition, commit, release or issue comment is meant. */
    edition: nonEmpty.optional(),
  })
  .strict();
export type Source = z.infer<typeof SourceSchema>;

/** One row of one of Microsoft's attestation tables (shared/reference/aks-cis.md). */
export const MsStatusClaimSchema = z
  .object({
    /** A key of `msTables` in meta.yaml. */
    table: nonEmpty,
    id: checkId,
    status: z.enum(MS_STATUSES),
    /** Microsoft's own reason, when its table gives one. */
    reason: nonEmpty.optional(),
  })
  .strict();
export type MsStatusClaim = z.infer<typeof MsStatusClaimSchema>;

/** Keyword rule for text resolution: every `all` word present, no `none` word present. */
export const TextRuleSchema = z.object({ all: z.array(nonEmpty).min(1), none: z.array(nonEmpty).default([]) }).strict();
export type TextRule = z.infer<typeof TextRuleSchema>;

/** A check of an edition kube-bench no longer ships; resolved by its text, never by id. */
export const LegacyIdSchema = z.object({ edition: nonEmpty, id: checkId, text: nonEmpty.optional() }).strict();
export type LegacyId = z.infer<typeof LegacyIdSchema>;

/** Flags every `escalate.when` is compiled with: kube-bench copies flags and config files in any case. */
export const ESCALATION_FLAGS = 'i';

const oneLine = nonEmpty.refine((s) => !s.includes('\n'), 'whatToDo is one line');

/** A regular expression source that compiles (matched case-insensitively, see ESCALATION_FLAGS). */
const regexSource = nonEmpty.refine((s) => {
  try {
    new RegExp(s, ESCALATION_FLAGS);
    return true;
  } catch {
    return false;
  }
}, 'when is not a valid regular expression');

/**
 * A value kube-bench read that makes the check a real finding whatever the entry's default says:
 * e.g. an explicit --read-only-port=10255 is an open port, not a quirk of the check. Evaluated against
 * CheckResult.actual; no actual (text input, a trimmed value) never escalates.
 */
export const EscalationSchema = z
  .object({
    /** Regular expression over the check's actual value (compiled with ESCALATION_FLAGS). */
    when: regexSource,
    disposition: z.enum(DISPOSITIONS),
    responsibility: z.enum(RESPONSIBILITIES),
    rationale: nonEmpty,
    whatToDo: oneLine,
  })
  .strict();
export type Escalation = z.infer<typeof EscalationSchema>;

/** A disposition that holds only for some benchmarks, because their check logic differs. */
export const BenchmarkOverrideSchema = z
  .object({
    benchmarks: z.array(nonEmpty).min(1),
    disposition: z.enum(DISPOSITIONS),
    rationale: nonEmpty,
    whatToDo: nonEmpty.optional(),
    /** Why the check misfires on these benchmarks. */
    misfire: nonEmpty.optional(),
    /** Evaluated before the entry's own escalate rules for these benchmarks. */
    escalate: z.array(EscalationSchema).default([]),
  })
  .strict();
export type BenchmarkOverride = z.infer<typeof BenchmarkOverrideSchema>;

/**
 * Where an AKS value comes from. Only the code that builds the node, Microsoft's own documents, or
 * (for nodes older than AgentBaker) aks-engine's code or an AKS maintainer's statement count: an issue
 * thread quoting one node's flags shows one node, not what AKS sets.
 */
export const AKS_EVIDENCE_KINDS = ['agentbaker', 'microsoft-doc', 'aks-engine', 'aks-maintainer'] as const;
export const AksEvidenceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('agentbaker'),
      /** Azure/AgentBaker commit read; the tests require meta.yaml's agentBaker.commit. */
      commit: commitSha,
      path: nonEmpty,
      /** The function or lines, e.g. "getKubeletConfigFileContent" or "L120-L141". */
      at: nonEmpty,
      /** What the code shows, in a few words. */
      shows: nonEmpty,
    })
    .strict(),
  z.object({ kind: z.literal('microsoft-doc'), title: nonEmpty, url: z.string().url(), shows: nonEmpty }).strict(),
  z
    .object({
      kind: z.literal('aks-engine'),
      /** Azure/aks-engine or its predecessor Azure/acs-engine. */
      repo: z.enum(['Azure/aks-engine', 'Azure/acs-engine']),
      /** A commit, or a pull request URL when the change is best read there. */
      ref: nonEmpty,
      path: nonEmpty.optional(),
      shows: nonEmpty,
    })
    .strict(),
  z
    .object({
      kind: z.literal('aks-maintainer'),
      url: z.string().regex(/^https:\/\/github\.com\/Azure\/AKS\/issues\/\d+/, 'an AKS maintainer statement is a comment in github.com/Azure/AKS/issues'),
      who: nonEmpty,
      date: isoDate,
      shows: nonEmpty,
    })
    .strict(),
]);
export type AksEvidence = z.infer<typeof AksEvidenceSchema>;

/**
 * A verdict that holds only on some Kubernetes versions: AKS set the value only from some version on
 * (the FAIL below it is real), or stopped writing a flag (the check misfires from then on). Checked
 * before the entry's overrides; an escalate rule on the actual value still wins.
 */
export const VersionRuleSchema = z
  .object({
    /** The rule holds for versions >= from ... */
    from: kubeVersion.optional(),
    /** ... and < below. */
    below: kubeVersion.optional(),
    /** Limits the rule to these benchmarks (or groups); all benchmarks and text input when absent. */
    benchmarks: z.array(nonEmpty).min(1).optional(),
    disposition: z.enum(DISPOSITIONS),
    responsibility: z.enum(RESPONSIBILITIES),
    rationale: nonEmpty,
    whatToDo: oneLine,
    /** Why the check misfired, when it did on these versions. */
    misfire: nonEmpty.optional(),
  })
  .strict()
  .refine((r) => r.from !== undefined || r.below !== undefined, { message: 'a version rule names from, below or both' });
export type VersionRule = z.infer<typeof VersionRuleSchema>;

export const KnowledgeEntrySchema = z
  .object({
    topic: topicId,
    area: z.enum(AREAS),
    title: nonEmpty,
    /** kube-bench benchmark (or a group from meta.yaml) → check id in that benchmark. */
    ids: z.record(nonEmpty, checkId),
    legacy: z.array(LegacyIdSchema).default([]),
    /** Check texts seen in the editions, matched after normalisation. */
    texts: z.array(nonEmpty).default([]),
    /** Fallback keyword rules for texts no edition above uses. */
    match: z.array(TextRuleSchema).default([]),
    /** What the setting does. */
    what: nonEmpty,
    /** The threat, in two or three plain sentences. */
    why: nonEmpty,
    aks: z
      .object({
        /** The value on current AKS node images, as far as the sources show. */
        value: nonEmpty.optional(),
        /** Where it is set on the node. */
        where: z.array(nonEmpty).default([]),
        notes: nonEmpty.optional(),
        /** Where the value and the place come from: required whenever value or where is stated. */
        evidence: z.array(AksEvidenceSchema).default([]),
      })
      .strict()
      .refine((a) => (a.value === undefined && a.where.length === 0) || a.evidence.length > 0, {
        message: 'aks.value and aks.where need aks.evidence: AgentBaker at a pinned commit, a Microsoft document, aks-engine, or an AKS maintainer',
        path: ['evidence'],
      })
      .optional(),
    responsibility: z.enum(RESPONSIBILITIES),
    microsoft: z.array(MsStatusClaimSchema).default([]),
    /** Where Microsoft's tables are silent, say so and why. */
    microsoftNote: nonEmpty.optional(),
    /** How kube-bench's check behaves on AKS, verified against the cfg YAML. */
    kubeBench: nonEmpty.optional(),
    disposition: z.enum(DISPOSITIONS),
    rationale: nonEmpty,
    /** Why kube-bench's check misfires on AKS (check-quirk, or a FAIL with a known cause), e.g. "the flag was absent, not 0". */
    misfire: nonEmpty.optional(),
    /** Why the check misfires in kube-bench's legacy editions (a check carrying one of `legacy`'s ids, no benchmark); replaces misfire there. */
    legacyMisfire: nonEmpty.optional(),
    /** Verdicts by Kubernetes version; the first rule whose range holds wins. */
    versions: z.array(VersionRuleSchema).default([]),
    overrides: z.array(BenchmarkOverrideSchema).default([]),
    /** Actual values that make the check a real finding in every benchmark (after an override's own rules). */
    escalate: z.array(EscalationSchema).default([]),
    mitigation: nonEmpty,
    verify: nonEmpty.optional(),
    /** The answer to the question the seed's operator asked about this check. */
    answers: nonEmpty.optional(),
    /** Where AKS behaviour is uncertain or changed over time. */
    uncertain: nonEmpty.optional(),
    whatToDo: oneLine,
    sources: z.array(SourceSchema).min(1),
  })
  .strict();
export type KnowledgeEntry = z.infer<typeof KnowledgeEntrySchema>;

export const MsTableSchema = z
  .object({ title: nonEmpty, commit: z.string().regex(/^[0-9a-f]{7,40}$/), date: isoDate, appliesTo: nonEmpty.optional() })
  .strict();
export type MsTable = z.infer<typeof MsTableSchema>;

export const KnowledgeMetaSchema = z
  .object({
    /** When the data was last reviewed against its sources. */
    reviewedOn: isoDate,
    /** Expiry of the default waivers: they lapse so that a stale knowledge base gets re-reviewed. */
    defaultWaiversExpire: isoDate,
    msTables: z.record(nonEmpty, MsTableSchema),
    /** Group name → kube-bench benchmarks, so entries need not repeat identical ids. */
    benchmarkGroups: z.record(nonEmpty, z.array(nonEmpty).min(1)),
    /** The Azure/AgentBaker commit every agentbaker evidence was read at. */
    agentBaker: z.object({ commit: commitSha, date: isoDate }).strict(),
    /** Kubernetes versions AKS supports, for the legacy headline. */
    aksSupport: z
      .object({
        /** The oldest minor AKS still supports (LTS included), as of `asOf`. */
        oldest: kubeVersion,
        asOf: isoDate,
        source: SourceSchema,
      })
      .strict(),
  })
  .strict();
export type KnowledgeMeta = z.infer<typeof KnowledgeMetaSchema>;

/** meta.yaml holds `meta:`; every other data file holds `entries:`. */
export const KnowledgeMetaFileSchema = z.object({ meta: KnowledgeMetaSchema }).strict();
export const KnowledgeEntriesFileSchema = z.object({ entries: z.array(KnowledgeEntrySchema).min(1) }).strict();

/** The per-check triage shown in `explain --format json` under "aks". */
export interface Triage {
  topic: string;
  title: string;
  disposition: Disposition;
  responsibility: Responsibility;
  rationale: string;
  /** The threat, from the entry. */
  why: string;
  mitigation: string;
  verify: string;
  /** The answer to the seed operator's question about this check, when the entry has one. */
  answers: string | null;
  sources: string[];
  whatToDo: string;
  /** The escalate rule's `when` that matched the check's actual value, or null when none did. */
  escalatedBy: string | null;
  /** Why the check misfired on AKS, when it does (check-quirk, or a FAIL with a known cause). */
  misfire: string | null;
  /** The Kubernetes version the verdict was made for, or null when unknown (the current-AKS verdict). */
  kubernetesVersion: string | null;
  /** The version range of the rule that decided the verdict, e.g. "below 1.27", or null. */
  versionRule: string | null;
}

// ---- Waivers ----------------------------------------------------------------------------------

export type WaiverScopeRule =
  | { kind: 'all' }
  | { kind: 'subscription'; subscriptionId: string }
  | { kind: 'cluster'; clusterId: string }
  | { kind: 'pool'; clusterId: string; pool: string };

export interface Waiver {
  /** Stable id: "default:<topic>" for shipped waivers, "<file>#<n>" or the file's own id otherwise. */
  id: string;
  /** Either a topic, or a check id (optionally tied to one benchmark). */
  topic: string | null;
  checkId: string | null;
  benchmark: string | null;
  scope: WaiverScopeRule;
  reason: string;
  owner: string;
  /** Last day the waiver holds (UTC), YYYY-MM-DD. */
  expires: string;
  /** Shipped with the knowledge base, from WAIVERS_FILE (or a CLI --waivers file), or from the waivers table (HTTP, `waivers import`). */
  source: 'default' | 'file' | 'table';
}

/** A waiver of the waivers table, with its last change. */
export interface TableWaiver extends Waiver {
  source: 'table';
  /** ISO time of the last PUT. */
  updatedAt: string;
  /** Who made it: the Entra ID principal (App Service Authentication), or "admin key". */
  updatedBy: string;
}

/** One recorded change of a table waiver (GET /api/waivers/{id}/history). */
export interface WaiverChange {
  at: string;
  by: string;
  action: 'put' | 'delete';
  before: Waiver | null;
  after: Waiver | null;
}

/** Date.parse rolls 2026-02-30 over to March 2nd: a real date survives the round trip unchanged. */
function isRealDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

const SCOPE_HELP = 'scope must be "all", a subscription id (GUID), a cluster ARM resource id, { subscription: <id> } or { cluster: <ARM id>, pool: <name> }';

/** One readable message for every wrong scope, instead of a union's "Invalid input". */
export const WaiverScopeInputSchema = z.unknown().transform((v, ctx): WaiverScopeRule => {
  if (v === 'all') return { kind: 'all' };
  if (typeof v === 'string' && GUID.test(v)) return { kind: 'subscription', subscriptionId: v };
  if (typeof v === 'string' && CLUSTER_ID.test(v)) return { kind: 'cluster', clusterId: v };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort().join(',');
    if (keys === 'subscription' && typeof o['subscription'] === 'string' && GUID.test(o['subscription'])) {
      return { kind: 'subscription', subscriptionId: o['subscription'] };
    }
    if ((keys === 'cluster' || keys === 'cluster,pool') && typeof o['cluster'] === 'string' && CLUSTER_ID.test(o['cluster'])) {
      const pool = o['pool'];
      if (pool === undefined) return { kind: 'cluster', clusterId: o['cluster'] };
      if (typeof pool === 'string' && pool.trim() !== '') return { kind: 'pool', clusterId: o['cluster'], pool: pool.trim() };
    }
  }
  ctx.addIssue({ code: 'custom', message: `${SCOPE_HELP}; got ${JSON.stringify(v)}` });
  return z.NEVER;
});

export const WaiverInputSchema = z
  .object({
    id: nonEmpty.optional(),
    topic: topicId.optional(),
    check: checkId.optional(),
    benchmark: nonEmpty.optional(),
    scope: WaiverScopeInputSchema,
    reason: nonEmpty,
    owner: nonEmpty,
    expires: isoDate.refine(isRealDate, 'expires is not a real date'),
  })
  .strict()
  .refine((w) => (w.topic === undefined) !== (w.check === undefined), { message: 'a waiver names exactly one of topic or check' })
  .refine((w) => w.benchmark === undefined || w.check !== undefined, { message: 'benchmark goes with check, not topic' });
export type WaiverInput = z.infer<typeof WaiverInputSchema>;
/** A waiver as a file writes it (WaiverInputSchema's input), e.g. what `waivers export` writes. */
export interface WaiverFileEntry {
  id: string;
  topic?: string;
  check?: string;
  benchmark?: string;
  scope: string | { cluster: string; pool: string };
  reason: string;
  owner: string;
  expires: string;
}

export const WaiverListSchema = z.array(WaiverInputSchema);
export const WaiverFileObjectSchema = z
  .object({
    /** false turns off every default waiver. */
    defaults: z.boolean().default(true),
    /** Topics whose default waiver is turned off. */
    disableDefaults: z.array(topicId).default([]),
    waivers: z.array(WaiverInputSchema).default([]),
  })
  .strict();
