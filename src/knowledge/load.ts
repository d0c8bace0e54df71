/**
 * Loads the reviewed YAML under ./data once, validates it, and builds the lookup indexes.
 * Sync and lazy: it runs on first use (a serverless cold start pays it once) and is cached after.
 * js-yaml, not the `yaml` package: it parses this data several times faster, which is the whole
 * cold-start cost (see test/knowledge/load.test.ts).
 * The build copies src/knowledge/data/*.yaml next to the compiled JS, so the same URL works
 * from src (tsx, vitest) and from dist.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { KnowledgeEntriesFileSchema, KnowledgeMetaFileSchema } from '../model/knowledge.js';
import type { KnowledgeEntry, KnowledgeMeta, TextRule } from '../model/knowledge.js';
import { normaliseBenchmark, normaliseText } from './normalise.js';
import { errorLine } from '../model/errors.js';

export interface KnowledgeBase {
  meta: KnowledgeMeta;
  entries: readonly KnowledgeEntry[];
  byTopic: ReadonlyMap<string, KnowledgeEntry>;
  /** "<benchmark>|<id>" → entry. */
  byId: ReadonlyMap<string, KnowledgeEntry>;
  /** Normalised check text → entry. */
  byText: ReadonlyMap<string, KnowledgeEntry>;
  rules: readonly { entry: KnowledgeEntry; rule: TextRule }[];
  /** Every benchmark some entry names, after expanding groups → the top-level sections it covers. */
  sections: ReadonlyMap<string, ReadonlySet<string>>;
  loadMs: number;
}

/** Thrown when the shipped data is inconsistent: a bug in the data, caught by the tests. */
export class KnowledgeDataError extends Error {
  override readonly name = 'KnowledgeDataError';
}

const DATA_DIR = new URL('./data/', import.meta.url);
let cached: KnowledgeBase | null = null;

export function knowledgeBase(): KnowledgeBase {
  if (!cached) cached = loadFrom(DATA_DIR);
  return cached;
}

export function loadFrom(dir: URL): KnowledgeBase {
  const started = performance.now();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  let meta: KnowledgeMeta | null = null;
  const entries: KnowledgeEntry[] = [];
  for (const file of files) {
    let raw: unknown;
    try {
      raw = loadYaml(readFileSync(new URL(file, dir), 'utf8'), { schema: CORE_SCHEMA, filename: file });
    } catch (e) {
      throw new KnowledgeDataError(`knowledge data ${file}: ${errorLine(e)}`);
    }
    // Pick the schema by the file's top key, so an error names the real field instead of "no union member".
    const isMeta = typeof raw === 'object' && raw !== null && 'meta' in raw;
    const parsed = isMeta ? KnowledgeMetaFileSchema.safeParse(raw) : KnowledgeEntriesFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? describe(raw, issue.path) : '';
      throw new KnowledgeDataError(`knowledge data ${file}: ${where ? `${where}: ` : ''}${issue?.message ?? 'invalid'}`);
    }
    if ('meta' in parsed.data) {
      if (meta) throw new KnowledgeDataError(`knowledge data ${file}: a second meta block`);
      meta = parsed.data.meta;
    } else entries.push(...parsed.data.entries);
  }
  if (!meta) throw new KnowledgeDataError('knowledge data: no meta.yaml');
  return index(meta, entries, performance.now() - started);
}

/** "entries[3] (kubelet.read-only-port).microsoft[0].status": names the entry so a reviewer finds it. */
function describe(raw: unknown, path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  let node: unknown = raw;
  for (const p of path) {
    if (typeof p === 'number') {
      const item: unknown = Array.isArray(node) ? node[p] : undefined;
      const topic = typeof item === 'object' && item !== null && 'topic' in item ? String((item as { topic: unknown }).topic) : null;
      parts[parts.length - 1] += `[${p}]${topic ? ` (${topic})` : ''}`;
      node = item;
    } else {
      parts.push(String(p));
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[String(p)] : undefined;
    }
  }
  return parts.join('.');
}

function index(meta: KnowledgeMeta, entries: KnowledgeEntry[], parseMs: number): KnowledgeBase {
  const started = performance.now();
  const byTopic = new Map<string, KnowledgeEntry>();
  const byId = new Map<string, KnowledgeEntry>();
  const byText = new Map<string, KnowledgeEntry>();
  const rules: { entry: KnowledgeEntry; rule: TextRule }[] = [];
  const sections = new Map<string, Set<string>>();

  const expand = (key: string, topic: string): string[] => {
    const group = meta.benchmarkGroups[key];
    if (group) return group.map((b) => normaliseBenchmark(b) ?? b);
    if (/^(?:aks|cis)-\d/.test(key)) return [normaliseBenchmark(key) ?? key];
    throw new KnowledgeDataError(`knowledge entry ${topic}: "${key}" is neither a benchmark nor a group in meta.yaml`);
  };

  for (const e of entries) {
    if (byTopic.has(e.topic)) throw new KnowledgeDataError(`knowledge entry ${e.topic}: defined twice`);
    byTopic.set(e.topic, e);
    for (const [key, id] of Object.entries(e.ids)) {
      for (const b of expand(key, e.topic)) {
        const k = `${b}|${id}`;
        const other = byId.get(k);
        if (other && other !== e) throw new KnowledgeDataError(`${b} ${id} is claimed by ${other.topic} and ${e.topic}`);
        byId.set(k, e);
        const set = sections.get(b) ?? new Set<string>();
        set.add(id.split('.')[0] ?? id);
        sections.set(b, set);
      }
    }
    for (const o of e.overrides) for (const b of o.benchmarks) expand(b, e.topic);
    const texts = [...e.texts, ...e.legacy.flatMap((l) => (l.text ? [l.text] : []))];
    for (const t of texts) {
      const k = normaliseText(t);
      const other = byText.get(k);
      if (other && other !== e) throw new KnowledgeDataError(`text "${t}" is claimed by ${other.topic} and ${e.topic}`);
      byText.set(k, e);
    }
    for (const rule of e.match) rules.push({ entry: e, rule: { all: rule.all.map(normaliseText), none: rule.none.map(normaliseText) } });
    for (const claim of e.microsoft) {
      if (!meta.msTables[claim.table]) throw new KnowledgeDataError(`knowledge entry ${e.topic}: unknown Microsoft table "${claim.table}"`);
    }
  }
  return { meta, entries, byTopic, byId, byText, rules, sections, loadMs: parseMs + (performance.now() - started) };
}
