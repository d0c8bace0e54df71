/** `aks-fleet-scanner checks`: the knowledge base itself, for review. */
import { parseArgs } from 'node:util';
import type { KnowledgeEntry } from '../knowledge/index.js';
import { triageCheck } from '../knowledge/index.js';
import { knowledgeBase } from '../knowledge/load.js';
import { compareIds } from '../model/result.js';
import { toCsv } from '../report/csv.js';
import { styleFor } from '../report/style.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

interface Row {
  topic: string;
  title: string;
  ids: string[];
  disposition: string;
  responsibility: string;
  whatToDo: string;
  entry: KnowledgeEntry;
}

export async function checksCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { benchmark: { type: 'string' }, topic: { type: 'string' }, format: { type: 'string' } } });
  const format = values.format ?? 'text';
  if (!['text', 'json', 'markdown', 'csv'].includes(format)) throw new UsageError(`--format must be one of text, json, markdown, csv, not "${format}"`);
  const kb = knowledgeBase();
  const bench = values.benchmark?.toLowerCase();
  // byId is keyed "<benchmark>|<id>" with benchmark groups already expanded.
  const idsOf = new Map<string, string[]>();
  for (const [key, e] of kb.byId) {
    const [b, id] = key.split('|') as [string, string];
    if (bench && b !== bench) continue;
    const list = idsOf.get(e.topic) ?? [];
    list.push(bench ? id : `${b}:${id}`);
    idsOf.set(e.topic, list);
  }
  if (bench && idsOf.size === 0) {
    const known = [...new Set([...kb.byId.keys()].map((k) => k.split('|')[0]))].sort().join(', ');
    throw new UsageError(`--benchmark ${values.benchmark} is not in the knowledge base (known: ${known})`);
  }
  const rows: Row[] = kb.entries
    .filter((e) => (!bench || idsOf.has(e.topic)) && (!values.topic || e.topic === values.topic))
    .map((e) => {
      const ids = [...new Set(idsOf.get(e.topic) ?? [])].sort(compareIds);
      const t = triageCheck({ id: ids[0]?.split(':').pop() ?? '', benchmark: bench ?? null, title: e.title });
      return {
        topic: e.topic,
        title: e.title,
        ids,
        disposition: t?.disposition ?? e.disposition,
        responsibility: e.responsibility,
        whatToDo: t?.whatToDo ?? e.whatToDo,
        entry: e,
      };
    });
  if (values.topic && rows.length === 0) throw new UsageError(`--topic ${values.topic} is not in the knowledge base`);

  if (format === 'json')
    io.stdout.write(
      JSON.stringify(
        { reviewedOn: kb.meta.reviewedOn, benchmark: bench ?? null, entries: rows.map((r) => ({ ...r.entry, ids: r.ids, disposition: r.disposition })) },
        null,
        2,
      ) + '\n',
    );
  else if (format === 'csv')
    io.stdout.write(
      toCsv(
        ['topic', 'ids', 'title', 'disposition', 'responsibility', 'what_to_do'],
        rows.map((r) => [r.topic, r.ids.join(' '), r.title, r.disposition, r.responsibility, r.whatToDo]),
      ),
    );
  else if (format === 'markdown') {
    const out = [
      `# AKS knowledge base${bench ? ` (${bench})` : ''}`,
      '',
      `Reviewed on ${kb.meta.reviewedOn}. ${rows.length} topic(s).`,
      '',
      '| Topic | Ids | Disposition | Responsibility | What to do |',
      '|---|---|---|---|---|',
    ];
    for (const r of rows) out.push(`| \`${r.topic}\` | ${r.ids.join(', ')} | ${r.disposition} | ${r.responsibility} | ${r.whatToDo.replace(/\|/g, '\\|')} |`);
    io.stdout.write(out.join('\n') + '\n');
  } else {
    const st = styleFor(io.stdout, io.env);
    for (const r of rows) io.stdout.write(`${st.bold(r.topic)} ${st.dim(r.ids.join(' '))}\n  ${st.cyan(r.disposition)} (${r.responsibility}): ${r.whatToDo}\n`);
    io.stdout.write(st.dim(`${rows.length} topic(s); knowledge base reviewed on ${kb.meta.reviewedOn}\n`));
  }
  return 0;
}
