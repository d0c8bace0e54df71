/**
 * Shared readers for the knowledge tests: kube-bench cfg YAML, the seed, Microsoft's tables. They read
 * the vendored copies under third_party/; shared/ is read only when it sits beside the checkout.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { HAS_SHARED, ROOT, SHARED } from '../fixtures/paths.js';

export { HAS_SHARED, ROOT, SHARED };
export const VENDORED_CFG = join(ROOT, 'third_party/kube-bench/cfg');
export const SHARED_CFG = join(SHARED, 'kube-bench/cfg');
export const VENDORED_MS_TABLES = join(ROOT, 'third_party/microsoft/aks-cis.md');
export const SHARED_MS_TABLES = join(SHARED, 'reference/aks-cis.md');
/** The vendored cfg always; shared/'s too when present, so a newer shared copy is covered before it is vendored. */
export const CFG_DIRS = HAS_SHARED ? [VENDORED_CFG, SHARED_CFG] : [VENDORED_CFG];

/** Every file under dir, relative to it, sorted. */
export function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .flatMap((f) => {
      const rel = prefix ? `${prefix}/${f}` : f;
      return statSync(join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : [rel];
    })
    .sort();
}

export interface CfgCheck {
  file: string;
  benchmark: string;
  nodeType: string;
  id: string;
  text: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

interface RawControls {
  version?: unknown;
  type?: unknown;
  groups?: { checks?: { id?: unknown; text?: unknown }[] | null }[] | null;
}

/** Every check of every controls file under the cfg dirs (config.yaml has no `controls`). */
export function cfgChecks(dirs: readonly string[] = CFG_DIRS): CfgCheck[] {
  const out: CfgCheck[] = [];
  for (const dir of dirs) {
    for (const file of walk(dir)) {
      const raw = load(readFileSync(file, 'utf8'), { schema: CORE_SCHEMA }) as RawControls & { controls?: unknown };
      if (!raw || !('controls' in raw) || raw.version === undefined) continue;
      for (const g of raw.groups ?? []) {
        for (const c of g.checks ?? []) {
          out.push({ file, benchmark: String(raw.version), nodeType: String(raw.type), id: String(c.id), text: String(c.text) });
        }
      }
    }
  }
  return out;
}

export interface SeedCheck {
  status: string;
  id: string;
  title: string;
}

const SEED_LINE = /\[(PASS|FAIL|WARN|INFO)\]\s+(\d+(?:\.\d+)+)\s+(?:\2\s+)?(.*?)(?:\s*\((?:Scored|Not Scored|Automated|Manual)\))?\s*$/;

/** The seed's check lines (not its [INFO] section headers, which have fewer than three id parts or no check text). */
export function seedChecks(): SeedCheck[] {
  const text = readFileSync(join(ROOT, 'examples/seed-aks-node.txt'), 'utf8');
  const out: SeedCheck[] = [];
  for (const line of text.split('\n')) {
    const m = SEED_LINE.exec(line);
    if (!m || m[1] === 'INFO') continue;
    out.push({ status: m[1] ?? '', id: m[2] ?? '', title: m[3] ?? '' });
  }
  return out;
}

export interface MsRow {
  commit: string;
  id: string;
  text: string;
  status: string;
  reason: string;
}

/** The rows of every table in aks-cis.md, keyed by the commit in the section heading. */
export function msRows(path: string = VENDORED_MS_TABLES): MsRow[] {
  const md = readFileSync(path, 'utf8');
  const rows: MsRow[] = [];
  let commit: string | null = null;
  for (const line of md.split('\n')) {
    const h = /^## Version at commit ([0-9a-f]{40})/.exec(line);
    if (h) {
      commit = h[1] ?? null;
      continue;
    }
    if (line.startsWith('## ')) commit = null;
    if (!commit || !line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const id = cells[0] ?? '';
    if (!/^\d+(?:\.\d+)+$/.test(id) || id.split('.').length < 3) continue;
    rows.push({ commit, id, text: cells[1] ?? '', status: cells[4] ?? '', reason: cells[5] ?? '' });
  }
  return rows;
}

/** Microsoft's reason without markdown: [text][ref] → text, backticks dropped. */
export function plainReason(s: string): string {
  return s
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
