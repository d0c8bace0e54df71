/** `aks-fleet-scanner explain <file|->`: triage one kube-bench output. */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../model/errors.js';
import type { InputFormat, ParsedInput } from '../model/result.js';
import { INPUT_FORMATS, MAX_INPUT_BYTES, parseKubeBenchBytes } from '../parse/index.js';
import type { ExplainOptions } from '../report/explain.js';
import { buildExplainReport } from '../report/explain.js';
import { renderExplainCsv, renderExplainMarkdown, renderExplainText } from '../report/render-explain.js';
import { styleFor } from '../report/style.js';
import type { CliIo } from './io.js';
import { oneOf, readAll, UsageError } from './io.js';
import { knowledgeOptions } from './knowledge-options.js';

export const OUTPUT_FORMATS = ['text', 'json', 'markdown', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options of every command that reads kube-bench output: its output format and the input's. */
export const KUBE_BENCH_INPUT_OPTIONS = { format: { type: 'string', short: 'f' }, 'input-format': { type: 'string' } } as const;

/** --format (default text) and --input-format, checked against their lists. */
export function formatsOf(values: { format?: string | undefined; 'input-format'?: string | undefined }): {
  format: OutputFormat;
  inputFormat: InputFormat | undefined;
} {
  return { format: oneOf(values.format, OUTPUT_FORMATS, '--format') ?? 'text', inputFormat: oneOf(values['input-format'], INPUT_FORMATS, '--input-format') };
}

export async function explainCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...KUBE_BENCH_INPUT_OPTIONS,
      'fail-on': { type: 'string' },
      waivers: { type: 'string', multiple: true },
      'no-default-waivers': { type: 'boolean' },
      'ignore-waived': { type: 'boolean' },
    },
  });
  const { format, inputFormat } = formatsOf(values);
  const failOn = oneOf(values['fail-on']?.toUpperCase(), ['FAIL', 'WARN'] as const, '--fail-on');
  if (values['ignore-waived'] && !failOn) throw new UsageError('--ignore-waived only makes sense with --fail-on');
  if (positionals.length !== 1)
    throw new UsageError(`explain takes exactly one input file (or - for stdin), not ${positionals.length}; see aks-fleet-scanner --help`);
  const file = positionals[0] as string;

  const { input, parsed } = await readKubeBenchInput(file, io, inputFormat);

  const opts: ExplainOptions = await knowledgeOptions({
    waiverFiles: (values.waivers ?? []).map((f) => resolve(io.cwd, f)),
    defaultWaivers: !values['no-default-waivers'],
  });
  const report = buildExplainReport(parsed, input, opts);

  if (format === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'markdown') io.stdout.write(renderExplainMarkdown(report));
  else if (format === 'csv') io.stdout.write(renderExplainCsv(report));
  else io.stdout.write(renderExplainText(report, styleFor(io.stdout, io.env)));

  // --fail-on WARN gates on WARN or worse; waived checks count unless --ignore-waived.
  const gated = failOn === 'WARN' ? ['FAIL', 'WARN'] : ['FAIL'];
  if (failOn && report.checks.some((c) => gated.includes(c.status) && !(values['ignore-waived'] && c.waiver))) return 1;
  return 0;
}

/** A file (or - for stdin) parsed as kube-bench output; one with no node result is bad input. */
export async function readKubeBenchInput(file: string, io: CliIo, inputFormat: InputFormat | undefined): Promise<{ input: string; parsed: ParsedInput }> {
  const input = file === '-' ? 'stdin' : file;
  const bytes = file === '-' ? await readAll(io.stdin, MAX_INPUT_BYTES, 'stdin') : await readInputFile(resolve(io.cwd, file), file);
  const parsed = parseKubeBenchBytes(bytes, input, inputFormat ? { format: inputFormat } : {});
  if (parsed.nodes.length === 0) {
    // A log where every node failed has nothing to explain or compare; a CI gate must not pass on it.
    const which = parsed.failures.map((f) => `${f.node} (${f.status})`).join(', ');
    throw new InputError(input, `holds no node result: ${which || 'no node reported'}`);
  }
  return { input, parsed };
}

async function readInputFile(path: string, name: string): Promise<Buffer> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InputError(name, 'is a directory, not a file');
    size = s.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      name,
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(e)})`,
    );
  }
  if (size > MAX_INPUT_BYTES) throw new InputError(name, `is ${size} bytes, over the ${MAX_INPUT_BYTES}-byte limit`);
  return readFile(path);
}
