/**
 * kube-bench's plain-text output → normalised results.
 *
 * Reads what kube-bench prints (cmd/common.go prettyPrint): `[STATE] id text` lines, group
 * headers, `== Remediations <type> ==` blocks, `== Summary <type> ==` / `== Summary total ==` /
 * the old bare `== Summary ==`, and `--include-test-output` lines ("\t " + a line of the audit
 * output after a FAIL). It also reads text pasted into documents, as in the seed: numbered-list
 * prefixes, a doubled id, checks without an assessment suffix, and prose after the list; and wiki or
 * issue pastes: status markers wrapped in HTML or written as entities, "(Scored)" wrapped onto the
 * next line, log lines before the output and "..." lines standing for cut checks.
 */
import { InputError } from '../model/errors.js';
import { ACTUAL_VALUE_MAX_CHARS, addTotals, countTotals, emptyTotals } from '../model/result.js';
import type { CheckResult, CheckStatus, NodeResult, SectionHeader, Totals } from '../model/result.js';
import { compareTotals } from './json.js';
import { redactSecrets } from './redact.js';
import { kindOfTextCheck, sectionOf, splitTitle } from './title.js';

// ANSI colour codes: kube-bench colours the [STATE] tag on a terminal.
// eslint-disable-next-line no-control-regex -- stripping terminal colour codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;
// "3. ", "12) ", "- ", "* " list prefixes and a ">" quote, as left by pasting into a document.
const LIST_PREFIX = /^\s*(?:>\s*)?(?:\d+[.)]\s+|[-*+]\s+)?/;
const CHECK_LINE = /^\[(PASS|FAIL|WARN|INFO)\]\s+(\d+(?:\.\d+)*)\.?\s+(.*)$/;
const SECTION_BANNER = /^==\s*(Remediations|Summary)(?:\s+([\w-]+))?\s*==$/;
const SUMMARY_COUNT = /^(\d+)\s+checks?\s+(PASS|FAIL|WARN|INFO)$/;
const REMEDIATION_START = /^(\d+(?:\.\d+)+)\s+(.*)$/;

// A wiki or issue paste: status markers coloured with HTML (<span style="color:red">[FAIL]</span>) or escaped as entities.
const HTML_TAG = /<\/?[a-z][^<>]*>/gi;
const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  lsqb: '[',
  rsqb: ']',
  lbrack: '[',
  rbrack: ']',
};
// "(Scored)" that a wiki wrapped onto its own line.
const WRAPPED_SUFFIX = /^\((Scored|Not Scored|Automated|Manual)\)$/i;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** A line as kube-bench printed it: without terminal colours, HTML markup or entities a paste added. */
function cleanLine(line: string): string {
  const noAnsi = line.replace(ANSI, '');
  if (!noAnsi.includes('<') && !noAnsi.includes('&')) return noAnsi;
  return decodeEntities(noAnsi.replace(HTML_TAG, ''));
}

type Block = 'checks' | 'remediations' | 'summary';

/** True when a line of the text looks like a kube-bench check or header line. */
export function isCheckLine(line: string): boolean {
  return CHECK_LINE.test(cleanLine(line).replace(LIST_PREFIX, '').trim());
}

export function parseKubeBenchText(text: string, input: string): NodeResult {
  const checks: CheckResult[] = [];
  const headers: SectionHeader[] = [];
  const warnings: string[] = [];
  const byId = new Map<string, CheckResult>();
  const declaredByType = new Map<string, Totals>();
  let declaredTotal: Totals | null = null;

  let block: Block = 'checks';
  let nodeType: string | null = null;
  let summaryKey = '';
  let lastFail: CheckResult | null = null;
  let testOutput: string[] = [];
  let remediation: { check: CheckResult | undefined; lines: string[] } | null = null;

  const flushTestOutput = (): void => {
    if (lastFail && testOutput.length) {
      const actual = redactSecrets(testOutput.join('\n'));
      lastFail.actual = actual.length > ACTUAL_VALUE_MAX_CHARS ? actual.slice(0, ACTUAL_VALUE_MAX_CHARS) : actual;
      if (actual.length > ACTUAL_VALUE_MAX_CHARS) lastFail.actualTruncated = true;
    }
    testOutput = [];
  };
  const flushRemediation = (): void => {
    if (remediation?.check) {
      const body = remediation.lines.join('\n').trim();
      // kube-bench prints "<id> audit test did not run: <reason>" instead of a remediation when the audit failed.
      const didNotRun = /^audit test did not run:\s*(.*)$/s.exec(body);
      if (didNotRun) remediation.check.reason = (didNotRun[1] ?? '').trim();
      else if (body) remediation.check.remediation = body;
    }
    remediation = null;
  };

  let lastCheck: CheckResult | null = null;
  for (const rawLine of text.split('\n')) {
    const noAnsi = cleanLine(rawLine).replace(/\r$/, '');
    // --include-test-output: "\t <line>" right after a check.
    if (block === 'checks' && lastFail && noAnsi.startsWith('\t')) {
      testOutput.push(noAnsi.replace(/^\t ?/, ''));
      continue;
    }
    const line = noAnsi.trim();
    const banner = SECTION_BANNER.exec(line);
    if (banner) {
      flushTestOutput();
      flushRemediation();
      lastFail = null;
      if (banner[1] === 'Remediations') block = 'remediations';
      else {
        block = 'summary';
        summaryKey = banner[2] ?? '';
        if (summaryKey === 'total') declaredTotal = emptyTotals();
        else declaredByType.set(summaryKey, emptyTotals());
      }
      continue;
    }

    const wrapped = block === 'checks' && lastCheck && lastCheck.assessment === null ? WRAPPED_SUFFIX.exec(line) : null;
    if (wrapped && lastCheck) {
      const { assessment } = splitTitle(`x ${wrapped[0]}`);
      lastCheck.assessment = assessment;
      if (assessment === 'Scored') lastCheck.scored = true;
      else if (assessment === 'Not Scored') lastCheck.scored = false;
      lastCheck.kind = kindOfTextCheck(lastCheck.status, assessment);
      continue;
    }
    const unprefixed = line.replace(LIST_PREFIX, '');
    const m = CHECK_LINE.exec(unprefixed);
    if (m) {
      flushTestOutput();
      flushRemediation();
      block = 'checks';
      const status = m[1] as CheckStatus;
      const id = m[2] as string;
      let rest = (m[3] ?? '').trim();
      // A pasted id is sometimes doubled: "2.2.4 2.2.4 Ensure ...".
      if (rest.startsWith(id + ' ')) rest = rest.slice(id.length).trim();
      const { title, assessment } = splitTitle(rest);
      if (isHeader(status, id, title, assessment !== null)) {
        headers.push({ id, title });
        // A controls-file header says what kind of checks follow; ids alone do not.
        if (!id.includes('.')) nodeType = nodeTypeOfHeader(title);
        lastFail = null;
        lastCheck = null;
        continue;
      }
      const check: CheckResult = {
        id,
        benchmark: null,
        section: sectionOf(id),
        title,
        assessment,
        status,
        // kube-bench turns an unscored failure into WARN, so a FAIL line is a scored check.
        scored: assessment === 'Scored' || status === 'FAIL' ? true : assessment === 'Not Scored' ? false : null,
        kind: kindOfTextCheck(status, assessment),
        nodeType,
        expected: null,
        actual: null,
        remediation: null,
        reason: null,
      };
      checks.push(check);
      byId.set(id, check);
      lastCheck = check;
      lastFail = status === 'FAIL' ? check : null;
      continue;
    }

    if (block === 'remediations') {
      const r = REMEDIATION_START.exec(line);
      if (r && byId.has(r[1] as string)) {
        flushRemediation();
        remediation = { check: byId.get(r[1] as string), lines: [r[2] ?? ''] };
      } else if (remediation) {
        remediation.lines.push(noAnsi.trimEnd());
      }
      continue;
    }
    if (block === 'summary') {
      const s = SUMMARY_COUNT.exec(line);
      if (s) {
        const target = summaryKey === 'total' ? declaredTotal : declaredByType.get(summaryKey);
        if (target) target[(s[2] as string).toLowerCase() as keyof Totals] = Number(s[1]);
      }
      continue;
    }
    // Anything else (prose, markdown notes, glog lines, "..." for cut checks) is not ours to read.
    if (line) lastCheck = null;
    if (line && lastFail) {
      flushTestOutput();
      lastFail = null;
    }
  }
  flushTestOutput();
  flushRemediation();

  if (checks.length === 0) {
    throw new InputError(input, 'has no kube-bench check lines ("[PASS|FAIL|WARN|INFO] <id> <text>"): is this kube-bench output?');
  }
  const totals = countTotals(checks);
  if (declaredByType.size > 0) {
    let sum = emptyTotals();
    for (const t of declaredByType.values()) sum = addTotals(sum, t);
    const names = [...declaredByType.keys()].filter(Boolean).join(', ');
    compareTotals(warnings, names ? `Summary ${names}` : 'Summary', sum, totals);
  }
  if (declaredTotal) compareTotals(warnings, 'Summary total', declaredTotal, totals);
  return { node: null, pool: null, benchmark: null, detectedVersion: null, checks, totals, headers, warnings };
}

/** kube-bench's node type from the title of a controls file, as its cfg YAMLs name them. */
export function nodeTypeOfHeader(title: string): string | null {
  const t = title.toLowerCase();
  if (t.includes('worker node')) return 'node';
  if (t.includes('etcd')) return 'etcd';
  if (t.includes('managed services')) return 'managedservices';
  if (t.includes('polic')) return 'policies';
  if (/^control plane configuration$/.test(t.trim())) return 'controlplane';
  if (t.includes('master') || t.includes('control plane')) return 'master';
  return null;
}

/**
 * Headers are INFO lines for a controls file ("3 Worker Node ...") or a group ("3.1 ..."): at most
 * two id levels, no assessment suffix, and not phrased as a recommendation. kube-bench's
 * "N checks INFO" does not count them, so neither do we.
 */
function isHeader(status: CheckStatus, id: string, title: string, hasSuffix: boolean): boolean {
  if (status !== 'INFO' || hasSuffix) return false;
  if (id.split('.').length > 2) return false;
  return !/^ensure\b/i.test(title);
}
