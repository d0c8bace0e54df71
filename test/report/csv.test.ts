import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/report/csv.js';

/** Splits one RFC 4180 record back into its cells. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const dataRow = (v: string): string => toCsv(['h'], [[v]]).slice('h\r\n'.length, -2);

describe('CSV formula neutralising', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['a;=1+1', "a;'=1+1"],
    ['a|@SUM(A1)', "a|'@SUM(A1)"],
    ['a\t+cmd', "a\t'+cmd"],
    ['a, -2', '"a, \'-2"'],
    ['a\n=HYPERLINK("x")', '"a\n\'=HYPERLINK(""x"")"'],
    ['--anonymous-auth=false', "'--anonymous-auth=false"],
    ['plain text = fine', 'plain text = fine'],
  ])('%j', (value, want) => expect(dataRow(value)).toBe(want));

  it('no part of a cell, split at any separator a spreadsheet may use, starts a formula', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', '1', ' ', '=', '+', '-', '@', ',', ';', '\t', '|', '"', "'", '\n'), maxLength: 20 });
    fc.assert(
      fc.property(piece, (value) => {
        const [cell] = cells(dataRow(value));
        for (const part of (cell ?? '').split(/[,;\t|\r\n]/)) expect(part.trimStart()).not.toMatch(/^[=+\-@]/);
      }),
      { numRuns: 500 },
    );
  });
});
