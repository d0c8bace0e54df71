/** `aks-fleet-scanner waivers import FILE | export FILE`: the waiver-file format in and out of the waivers table. */
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SETTINGS } from '../config/settings.js';
import { InputError } from '../model/errors.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { storageTargetFromOption } from './storage-option.js';

async function waiverTable(io: CliIo, storage: string | undefined) {
  const [{ storageTargetFromEnv }, { createWaiverTable }] = await Promise.all([import('../store/index.js'), import('../store/waivers.js')]);
  const target = storage ? await storageTargetFromOption(storage) : storageTargetFromEnv(io.env);
  const table = createWaiverTable(target);
  await table.ensureTable();
  return table;
}

function maxDays(env: NodeJS.ProcessEnv): number {
  const r = SETTINGS.WAIVER_MAX_DAYS.safeParse(env['WAIVER_MAX_DAYS'] || undefined);
  if (!r.success) throw new UsageError(`setting WAIVER_MAX_DAYS ${r.error.issues[0]?.message ?? 'is not valid'}`);
  return r.data;
}

function who(): string {
  try {
    return `waivers import (${userInfo().username})`;
  } catch {
    return 'waivers import';
  }
}

export async function waiversCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { storage: { type: 'string' } } });
  const [action, file, ...rest] = positionals;
  if ((action !== 'import' && action !== 'export') || !file || rest.length) {
    throw new UsageError('waivers takes import FILE or export FILE; see aks-fleet-scanner waivers --help');
  }
  const { planImport, applyImport, exportWaivers } = await import('../waivers/transfer.js');
  if (action === 'export') {
    const { text, count } = await exportWaivers(await waiverTable(io, values.storage));
    if (file === '-') io.stdout.write(text);
    else writeFileSync(resolve(io.cwd, file), text);
    io.stderr.write(`waivers export: ${count} waiver(s) written to ${file === '-' ? 'stdout' : file}\n`);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, code === 'ENOENT' ? 'no such waiver file' : `cannot read the waiver file (${code ?? 'error'})`);
  }
  // Everything is checked before the table is touched: a bad entry writes nothing.
  const plan = planImport(text, file, { maxDays: maxDays(io.env), now: new Date() });
  for (const line of plan.ignored) io.stderr.write(`waivers import: ${line}\n`);
  const table = await waiverTable(io, values.storage);
  const r = await applyImport(plan, table, { at: new Date().toISOString(), by: who() });
  io.stderr.write(`waivers import: ${plan.waivers.length} waiver(s) from ${file}: ${r.created} new, ${r.replaced} replaced\n`);
  return 0;
}
