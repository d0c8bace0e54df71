/** The knowledge base as the store's classifier. */
import { triageCheck } from '../knowledge/index.js';
import type { CheckResult } from '../model/result.js';
import type { Classification } from '../store/types.js';

export function classifyCheck(check: CheckResult): Classification | null {
  const t = triageCheck(check);
  return t ? { topic: t.topic, title: t.title, disposition: t.disposition } : null;
}
