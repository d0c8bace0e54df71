/** Check-title helpers shared by the JSON and text parsers. */
import type { Assessment, CheckKind, CheckStatus } from '../model/result.js';

const SUFFIX = /\s*\((Automated|Manual|Scored|Not Scored)\)\s*$/i;

/** Splits "Ensure ... (Automated)" into the title and its assessment. */
export function splitTitle(text: string): { title: string; assessment: Assessment | null } {
  const m = SUFFIX.exec(text);
  if (!m || m[1] === undefined) return { title: text.trim(), assessment: null };
  const word = m[1].toLowerCase();
  const assessment: Assessment = word === 'automated' ? 'Automated' : word === 'manual' ? 'Manual' : word === 'scored' ? 'Scored' : 'Not Scored';
  return { title: text.slice(0, m.index).trim(), assessment };
}

/** kube-bench's check `type`: '' (automated), 'manual' or 'skip'. Unknown types count as automated, as in kube-bench. */
export function kindOfType(type: string | undefined): CheckKind {
  if (type === 'manual') return 'manual';
  if (type === 'skip') return 'skip';
  return 'automated';
}

/**
 * The text format carries no `type`, so infer it: skipped checks print INFO, manual ones WARN.
 * A "(Manual)" title alone proves nothing: kube-bench automates some checks CIS calls manual.
 */
export function kindOfTextCheck(status: CheckStatus, assessment: Assessment | null): CheckKind {
  if (status === 'INFO') return 'skip';
  if (assessment === 'Manual' && status === 'WARN') return 'manual';
  return 'automated';
}

/** The section id of a check id: "3.2.4" → "3.2". */
export function sectionOf(id: string): string | null {
  const i = id.lastIndexOf('.');
  return i > 0 ? id.slice(0, i) : null;
}
