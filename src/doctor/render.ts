/** The doctor's text output: per cluster, one line per check and the fix under each failure. */
import type { DoctorReport } from '../model/doctor.js';
import type { Style } from '../report/style.js';

export function renderDoctorText(report: DoctorReport, style: Style): string {
  const out: string[] = [];
  for (const c of report.clusters) {
    out.push(`${style.bold(c.name)} ${style.dim(c.clusterId)}`);
    out.push(style.dim(`  namespace ${c.namespace}, image ${c.image ?? '(none)'}`));
    for (const k of c.checks) {
      const mark = k.status === 'pass' ? style.green('PASS') : k.status === 'fail' ? style.red('FAIL') : style.dim('SKIP');
      out.push(`  ${mark} ${k.title.padEnd(50)} ${k.detail}`);
      if (k.fix) out.push(`       ${style.yellow('fix:')} ${k.fix}`);
    }
    out.push(`  ${c.ok ? style.green('ready to scan') : style.red(`not ready: ${c.checks.filter((k) => k.status === 'fail').length} check(s) failed`)}`);
    out.push('');
  }
  for (const p of report.problems) out.push(style.red(`problem: ${p}`));
  const failed = report.clusters.filter((c) => !c.ok).length;
  out.push(`${report.clusters.length} cluster(s) checked, ${failed} not ready${report.problems.length ? `, ${report.problems.length} problem(s)` : ''}`);
  return out.join('\n') + '\n';
}
