/** Wires the knowledge base and waivers into the explain report. Filled in when the knowledge base lands. */
import type { ExplainOptions } from '../report/explain.js';

export interface KnowledgeChoice {
  waiversFile: string | undefined;
  defaultWaivers: boolean;
}

export async function knowledgeOptions(_choice: KnowledgeChoice): Promise<ExplainOptions> {
  return {};
}
