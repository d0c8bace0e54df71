/**
 * The doctor script's output lines, `===AKSFS-CHECK v1 check=<id> status=<status> detail=<text>===`:
 * formatted here for the simulator and read here from the run-command log.
 */
import type { DoctorStatus, InClusterCheckId } from '../model/doctor.js';
import { DOCTOR_STATUSES, IN_CLUSTER_CHECK_IDS } from '../model/doctor.js';

export interface CheckLine {
  id: InClusterCheckId;
  status: DoctorStatus;
  detail: string;
}

/** The script cuts details to 600 characters and breaks up "===" inside them (check() in aksfs-doctor.sh). */
export function formatCheckLine(c: CheckLine): string {
  const detail = c.detail
    .replace(/[\r\n]+/g, ' ')
    .replaceAll('===', '= = =')
    .trim()
    .slice(0, 600);
  return `===AKSFS-CHECK v1 check=${c.id} status=${c.status} detail=${detail}===\n`;
}

const LINE = /^===AKSFS-CHECK v1 check=([a-z-]+) status=([a-z]+) detail=(.*)===$/;

/** The in-cluster checks a log reports; the first line per id wins, unknown ids and statuses are dropped. */
export function parseCheckLines(logs: string): Map<InClusterCheckId, CheckLine> {
  const out = new Map<InClusterCheckId, CheckLine>();
  for (const line of logs.split('\n')) {
    const m = LINE.exec(line.trimEnd());
    if (!m) continue;
    const id = IN_CLUSTER_CHECK_IDS.find((x) => x === m[1]);
    const status = DOCTOR_STATUSES.find((x) => x === m[2]);
    if (id && status && !out.has(id)) out.set(id, { id, status, detail: m[3] ?? '' });
  }
  return out;
}
