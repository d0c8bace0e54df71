/** Renders an ExplainReport as terminal text, markdown or CSV (JSON is the report object itself). */
import type { CheckStatus } from '../model/result.js';
import { CHECK_STATUSES } from '../model/result.js';
import { toCsv } from './csv.js';
import type { ExplainCheck, ExplainReport, KubernetesVersionInfo, LegacyHeadline, TriageKey } from './explain.js';
import { triageKey } from './explain.js';
import type { Style } from './style.js';
import { plain } from './style.js';

export const TRIAGE_LABEL: Record<TriageKey, string> = {
  action: 'yours to fix',
  platform: 'managed by AKS',
  'equivalent-control': 'equivalent control',
  'check-quirk': 'check quirk',
  environment: 'depends on your environment',
  obsolete: 'obsolete check',
  unknown: 'not in the knowledge base',
};

export function statusTag(s: CheckStatus, st: Style): string {
  const tag = `[${s}]`;
  return s === 'FAIL' ? st.red(tag) : s === 'WARN' ? st.yellow(tag) : s === 'PASS' ? st.green(tag) : st.dim(tag);
}

function totalsLine(t: ExplainReport['totals']): string {
  return `${t.fail} FAIL, ${t.warn} WARN, ${t.pass} PASS, ${t.info} INFO`;
}

function ids(checks: ExplainCheck[]): string {
  return checks.map((c) => (c.node ? `${c.id}@${c.node}` : c.id)).join(', ');
}

function nonPassing(r: ExplainReport): ExplainCheck[] {
  return r.checks.filter((c) => c.status === 'FAIL' || c.status === 'WARN');
}

/** "1.10.3 (read from the input: "Kubernetes 10.3"; ...)": where the version came from, in one line. */
export function describeVersion(v: KubernetesVersionInfo | undefined): string {
  if (!v) return 'not stated in the input (verdicts are for current AKS; pass --kubernetes-version X.Y)';
  const from =
    v.from === 'option'
      ? 'from --kubernetes-version'
      : v.from === 'kube-bench'
        ? `kube-bench's detected_version "${v.raw}"`
        : v.from === 'log'
          ? 'read from a kube-bench log line'
          : `read from the text around the output: "${v.raw}"`;
  return `${v.version} (${from}${v.note ? `; ${v.note}` : ''})`;
}

/** The legacy headline as plain lines, shared by the text and CSV renderings. */
export function legacyLines(l: LegacyHeadline): string[] {
  const real = l.realFails.length
    ? `FAILs that were real on that node: ${l.realFails.map((f) => `${f.id} (${f.title})`).join('; ')}.`
    : 'None of its FAILs was a real finding on that node.';
  return [l.headline, ...l.reasons, real, `Do this: ${l.action}`];
}

export function renderExplainText(r: ExplainReport, st: Style = plain): string {
  const out: string[] = [];
  const bench = r.source.benchmark ?? 'unknown benchmark (ids resolved by their text)';
  out.push(st.bold(`kube-bench results: ${r.source.input}`) + st.dim(`  (${r.source.format}, ${bench})`));
  if (r.legacy) {
    const [headline, ...rest] = legacyLines(r.legacy);
    out.push('');
    out.push(st.red(st.bold(headline ?? '')));
    for (const line of rest) out.push(`  ${line}`);
  }
  out.push(st.dim(`Kubernetes version: ${describeVersion(r.source.kubernetesVersion)}`));
  if (r.nodes) out.push(st.dim(`${r.nodes.length} node(s)${r.failures?.length ? `, ${r.failures.length} without a result` : ''}`));
  out.push('');
  for (const status of CHECK_STATUSES) {
    const group = r.checks.filter((c) => c.status === status);
    if (group.length === 0) continue;
    out.push(st.bold(`${status} (${group.length})`));
    for (const c of group) {
      const where = c.node ? st.dim(` @${c.node}`) : '';
      out.push(`  ${statusTag(c.status, st)} ${c.id} ${c.title}${where}`);
      if (status === 'FAIL' || status === 'WARN') {
        if (c.aks) {
          out.push(`      ${st.cyan(c.aks.disposition)}: ${c.aks.whatToDo}`);
          if (c.aks.misfire && status === 'FAIL') out.push(`      why it FAILed: ${c.aks.misfire}`);
        } else out.push(st.dim("      not in the knowledge base: see kube-bench's remediation (--format markdown)"));
        if (c.waiver)
          out.push(
            st.dim(`      waived by ${c.waiver.source === 'default' ? 'a default waiver' : `${c.waiver.id} (${c.waiver.owner})`} until ${c.waiver.expires}`),
          );
      }
    }
    out.push('');
  }
  if (r.failures?.length) {
    out.push(st.bold(`Nodes without a result (${r.failures.length})`));
    for (const f of r.failures) out.push(`  ${st.red(f.status)} ${f.node}${f.pool ? ` (pool ${f.pool})` : ''}: ${f.detail}`);
    out.push('');
  }
  out.push(st.bold('Summary'));
  out.push(`  ${totalsLine(r.totals)}`);
  const open = nonPassing(r);
  const by = (key: TriageKey) => open.filter((c) => triageKey(c.aks) === key);
  const fails = open.filter((c) => c.status === 'FAIL');
  const failsOf = (keys: TriageKey[]) => fails.filter((c) => keys.includes(triageKey(c.aks))).length;
  const yours = failsOf(['action', 'environment']);
  const unknown = failsOf(['unknown']);
  out.push(
    `  ${st.bold(`${yours} of ${fails.length} FAIL${fails.length === 1 ? '' : 's'} ${fails.length === 1 ? 'is' : 'are'} yours to fix or decide`)}` +
      (unknown ? `; ${unknown} ${unknown === 1 ? 'is' : 'are'} not in the knowledge base, so review ${unknown === 1 ? 'it' : 'them'} yourself` : '') +
      `; the others are managed by AKS, met otherwise, quirks of the check or obsolete.`,
  );
  out.push(`  ${st.red('Yours to fix')} (action): ${by('action').length}${by('action').length ? ` — ${ids(by('action'))}` : ''}`);
  if (by('environment').length)
    out.push(`  ${st.yellow('Yours to decide')} (depends on how you run the cluster): ${by('environment').length} — ${ids(by('environment'))}`);
  // An obsolete check can still point at a control the customer owns today (PodSecurityPolicy → Pod Security Admission).
  const replaced = by('obsolete').filter((c) => c.aks?.responsibility === 'customer');
  if (replaced.length) out.push(`  Replaced by a control you own (obsolete check, see what to do): ${ids(replaced)}`);
  for (const key of ['unknown', 'platform', 'equivalent-control', 'check-quirk', 'obsolete'] as const) {
    const these = by(key);
    const warns = these.filter((c) => c.status === 'WARN').length;
    if (these.length) out.push(`  ${TRIAGE_LABEL[key]}: ${these.length}${warns ? ` (${these.length - warns} FAIL, ${warns} WARN)` : ''} — ${ids(these)}`);
  }
  if (r.legacy) out.push(st.bold(`  Legacy output: ${r.legacy.action}`));
  if (r.waivers) {
    out.push(`  waived: ${r.waivers.applied} (they stay in the counts above; waivers silence alerts, not facts)`);
    for (const w of r.waivers.expired) out.push(st.yellow(`  expired waiver ${w.id} (${w.owner}, expired ${w.expires}): no longer applied`));
  }
  if (r.warnings.length) {
    out.push('');
    out.push(st.dim(`Parse warnings (${r.warnings.length}):`));
    for (const w of r.warnings) out.push(st.dim(`  - ${w}`));
  }
  return out.join('\n') + '\n';
}

export function md(s: string | null | undefined): string {
  return (s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderExplainMarkdown(r: ExplainReport): string {
  const out: string[] = [];
  out.push(`# kube-bench triage: ${md(r.source.input)}`);
  out.push('');
  out.push(`Benchmark: ${r.source.benchmark ?? 'unknown (checks matched by their text)'} · Format: ${r.source.format} · ${totalsLine(r.totals)}`);
  out.push('');
  out.push(`Kubernetes version: ${md(describeVersion(r.source.kubernetesVersion))}`);
  out.push('');
  if (r.legacy) {
    out.push(`> **${md(r.legacy.headline)}**`);
    out.push('>');
    for (const reason of r.legacy.reasons) out.push(`> - ${md(reason)}`);
    out.push(
      r.legacy.realFails.length
        ? `> - FAILs that were real on that node: ${r.legacy.realFails.map((f) => `${f.id} ${md(f.title)}`).join('; ')}`
        : '> - None of its FAILs was a real finding on that node.',
    );
    out.push('>');
    out.push(`> **Do this:** ${md(r.legacy.action)}`);
    out.push('');
  }
  const open = nonPassing(r);
  out.push('## Summary');
  out.push('');
  out.push('| Triage | Checks |');
  out.push('|---|---|');
  for (const key of ['action', 'environment', 'platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'] as const) {
    const these = open.filter((c) => triageKey(c.aks) === key);
    if (these.length) out.push(`| ${TRIAGE_LABEL[key]} (${these.length}) | ${md(ids(these))} |`);
  }
  out.push('');
  for (const [heading, keys] of [
    ['Yours to fix', ['action']],
    ['Yours to decide', ['environment']],
    ['Not in the knowledge base: review these yourself', ['unknown']],
    ['Not yours to fix', ['platform', 'equivalent-control', 'check-quirk', 'obsolete']],
  ] as const) {
    const these = open.filter((c) => (keys as readonly string[]).includes(triageKey(c.aks)));
    if (!these.length) continue;
    out.push(`## ${heading}`);
    out.push('');
    for (const c of these) {
      out.push(`### ${c.status} ${c.id} ${md(c.title)}${c.node ? ` (node ${md(c.node)})` : ''}`);
      out.push('');
      if (c.aks) {
        out.push(`- **Disposition:** ${c.aks.disposition} (${c.aks.responsibility})`);
        out.push(`- **What to do:** ${md(c.aks.whatToDo)}`);
        if (c.aks.misfire && c.status === 'FAIL') out.push(`- **Why the check FAILed:** ${md(c.aks.misfire)}`);
        if (c.aks.versionRule) out.push(`- **Verdict for Kubernetes ${md(c.aks.kubernetesVersion)}** (rule for ${md(c.aks.versionRule)})`);
        if (c.aks.why) out.push(`- **Why it matters:** ${md(c.aks.why)}`);
        out.push(`- **Why this disposition:** ${md(c.aks.rationale)}`);
        if (c.aks.answers) out.push(`- **Your question, answered:** ${md(c.aks.answers)}`);
        out.push(`- **Mitigation:** ${md(c.aks.mitigation)}`);
        out.push(`- **Verify:** ${md(c.aks.verify)}`);
        if (c.aks.sources.length) out.push(`- **Sources:** ${c.aks.sources.map(md).join('; ')}`);
      } else if (c.remediation) {
        out.push(`- **kube-bench remediation:** ${md(c.remediation)}`);
      }
      if (c.actual) out.push(`- **Actual:** \`${md(c.actual).slice(0, 300)}\``);
      out.push('');
    }
  }
  const waived = r.checks.filter((c) => c.waiver);
  if (waived.length) {
    out.push('## Waived');
    out.push('');
    for (const c of waived) out.push(`- ${c.id} ${md(c.title)}: ${md(c.waiver?.reason)} (${md(c.waiver?.owner)})`);
    out.push('');
  }
  const passed = r.checks.filter((c) => c.status === 'PASS');
  if (passed.length) {
    out.push(`## Passed (${passed.length})`);
    out.push('');
    out.push(passed.map((c) => `- ${c.id} ${md(c.title)}`).join('\n'));
    out.push('');
  }
  return out.join('\n');
}

export const EXPLAIN_CSV_HEADER = [
  'node',
  'id',
  'status',
  'title',
  'scored',
  'benchmark',
  'disposition',
  'responsibility',
  'topic',
  'what_to_do',
  'why_it_failed',
  'waived',
  'expected',
  'actual',
  'remediation',
] as const;

/**
 * CSV with the legacy headline as leading "# " comment lines (spreadsheet programs show them as a first
 * cell; CSV readers with a comment option skip them).
 */
export function renderExplainCsv(r: ExplainReport): string {
  const comments = r.legacy
    ? legacyLines(r.legacy)
        .map((l) => `# ${l.replace(/[\r\n]+/g, ' ')}\r\n`)
        .join('')
    : '';
  return (
    comments +
    toCsv(
      EXPLAIN_CSV_HEADER,
      r.checks.map((c) => [
        c.node ?? '',
        c.id,
        c.status,
        c.title,
        c.scored,
        c.benchmark,
        c.aks?.disposition ?? '',
        c.aks?.responsibility ?? '',
        c.aks?.topic ?? '',
        c.aks?.whatToDo ?? '',
        c.status === 'FAIL' ? (c.aks?.misfire ?? '') : '',
        c.waiver ? c.waiver.id : '',
        c.expected,
        c.actual,
        c.remediation,
      ]),
    )
  );
}
