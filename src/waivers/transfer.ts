/**
 * `waivers import` and `waivers export`: the waiver-file format in and out of the waivers table.
 * An import checks the whole file first (the file's own schema and knowledge-base checks, then the
 * table's rules: ids, expiry within WAIVER_MAX_DAYS, no id twice) and writes nothing when any
 * entry is wrong; only then is each waiver written, with its history row.
 */
import { basename, extname } from 'node:path';
import { dump } from 'js-yaml';
import { parseWaiverConfig, waiverToInput } from '../knowledge/waivers.js';
import { InputError } from '../model/errors.js';
import type { Waiver, WaiverFileEntry } from '../model/knowledge.js';
import type { WaiverTable } from '../store/waivers.js';
import { tableWaiverFrom, type WaiverRules } from './rules.js';

export interface ImportPlan {
  waivers: Waiver[];
  /** File switches that do not apply to the table (DEFAULT_WAIVERS does), one line each. */
  ignored: string[];
}

/** The id of a file entry without one: the file's name and the entry's position, e.g. team-a-3. */
function derivedId(inputName: string, i: number): string {
  const stem =
    basename(inputName, extname(inputName))
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'waiver';
  return `${stem.slice(0, 90)}-${i + 1}`;
}

/** Every entry checked; an InputError naming the file and the entry (waivers[2].expires) on the first that is wrong. */
export function planImport(text: string, inputName: string, rules: WaiverRules): ImportPlan {
  const config = parseWaiverConfig(text, inputName);
  const seen = new Map<string, number>();
  const waivers = config.waivers.map((w, i) => {
    const entry: WaiverFileEntry = waiverToInput(w);
    // parseWaiverConfig names an entry without an id "<file>#n"; the table needs an id a URL can carry.
    const id = w.id === `${inputName}#${i + 1}` ? derivedId(inputName, i) : w.id;
    const first = seen.get(id);
    if (first !== undefined) throw new InputError(inputName, `waivers[${i}].id: "${id}" is also the id of waivers[${first}]`);
    seen.set(id, i);
    return tableWaiverFrom({ ...entry, id }, null, rules, inputName, `waivers[${i}]`);
  });
  const ignored: string[] = [];
  if (!config.useDefaults) ignored.push(`${inputName}: "defaults: false" is not imported; set DEFAULT_WAIVERS=off on the app instead`);
  if (config.disabledDefaults.length) ignored.push(`${inputName}: "disableDefaults" is not imported; the table holds waivers only`);
  return { waivers, ignored };
}

/** Writes a checked plan, one waiver (and its history row) at a time; returns how many were new. */
export async function applyImport(
  plan: ImportPlan,
  table: Pick<WaiverTable, 'put'>,
  author: { at: string; by: string },
): Promise<{ created: number; replaced: number }> {
  let created = 0;
  for (const w of plan.waivers) {
    const r = await table.put(w, author);
    if (r.before === null) created++;
  }
  return { created, replaced: plan.waivers.length - created };
}

/** The table's waivers as a waiver file (YAML, which `waivers import` and WAIVERS_FILE read). */
export async function exportWaivers(table: Pick<WaiverTable, 'list'>): Promise<{ text: string; count: number }> {
  const list = await table.list();
  const waivers = list.map((s) => waiverToInput(s.waiver));
  const header = `# aks-fleet-scanner waivers: ${waivers.length} exported from the waivers table\n`;
  return { text: header + dump({ waivers }, { lineWidth: -1, quotingType: '"' }), count: waivers.length };
}
