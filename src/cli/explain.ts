/** `aks-fleet-scanner explain <file|->`: triage one kube-bench output. */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../model/errors.js';
import type { InputFormat, ParsedInput } from '../model/result.js';
import { decodeInput, INPUT_FORMATS, MAX_INPUT_BYTES, parseKubeBenchOutput } from '../parse/index.js';
import { interpretVersion, readVersionFromText, readVersionOption } from '../parse/version.js';
import type { ExplainOptions, KubernetesVersionInfo } from '../report/explain.js';
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
      'kubernetes-version': { type: 'string' },
    },
  });
  const versionOption = values['kubernetes-version'];
  const optionVersion = versionOption === undefined ? null : readVersionOption(versionOption);
  if (versionOption !== undefined && !optionVersion) {
    throw new UsageError(`--kubernetes-version must be a Kubernetes version such as 1.31 or 1.29.4, not "${versionOption}"`);
  }
  const { format, inputFormat } = formatsOf(values);
  const failOn = oneOf(values['fail-on']?.toUpperCase(), ['FAIL', 'WARN'] as const, '--fail-on');
  if (values['ignore-waived'] && !failOn) throw new UsageError('--ignore-waived only makes sense with --fail-on');
  if (positionals.length !== 1)
    throw new UsageError(`explain takes exactly one input file (or - for stdin), not ${positionals.length}; see aks-fleet-scanner --help`);
  const file = positionals[0] as string;

  const { input, parsed, text } = await readKubeBenchInput(file, io, inputFormat);

  const opts: ExplainOptions = await knowledgeOptions({
    waiverFiles: (values.waivers ?? []).map((f) => resolve(io.cwd, f)),
    defaultWaivers: !values['no-default-waivers'],
    kubernetesVersion: optionVersion ?? versionOfInput(parsed.nodes, parsed.format === 'json' ? null : text),
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

const ASSUMED_DEFAULT = /(?:assuming|using) default version/i;

/** The version the input states: kube-bench's detected_version, else its log lines, else the prose around a paste. */
function versionOfInput(nodes: readonly { detectedVersion: string | null }[], text: string | null): KubernetesVersionInfo | null {
  // kube-bench writes a default it assumed into detected_version too, and says so only on stderr.
  if (text !== null && ASSUMED_DEFAULT.test(text)) return null;
  // detected_version is "none" or a benchmark name ("aks-1.7") when kube-bench did not read the version.
  const detected = nodes.map((n) => n.detectedVersion).find((v): v is string => v !== null && v.trim() !== '');
  const read = detected ? interpretVersion(detected.trim().replace(/^v/, '')) : null;
  if (detected && read) return { version: read.version, from: 'kube-bench', raw: detected, note: read.note };
  return text === null ? null : readVersionFromText(text);
}

/** A file (or - for stdin) parsed as kube-bench output; one with no node result is bad input. */
export async function readKubeBenchInput(
  file: string,
  io: CliIo,
  inputFormat: InputFormat | undefined,
): Promise<{ input: string; parsed: ParsedInput; text: string }> {
  const input = file === '-' ? 'stdin' : file;
  const bytes = file === '-' ? await readAll(io.stdin, MAX_INPUT_BYTES, 'stdin') : await readInputFile(resolve(io.cwd, file), file);
  const text = decodeInput(bytes, input);
  const parsed = parseKubeBenchOutput(text, input, inputFormat ? { format: inputFormat } : {});
  if (parsed.nodes.length === 0) {
    // A log where every node failed has nothing to explain or compare; a CI gate must not pass on it.
    const which = parsed.failures.map((f) => `${f.node} (${f.status})`).join(', ');
    throw new InputError(input, `holds no node result: ${which || 'no node reported'}`);
  }
  return { input, parsed, text };
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
