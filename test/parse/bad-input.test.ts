import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/model/envelope.js';
import { InputError } from '../../src/model/errors.js';
import { CHECK_STATUSES } from '../../src/model/result.js';
import { MAX_INPUT_BYTES, parseKubeBenchBytes } from '../../src/parse/index.js';
import { printKubeBenchText } from '../fixtures/kube-bench-text.js';
import { sampleReport } from '../fixtures/reports.js';

const json = JSON.stringify(sampleReport());
const bytes = (s: string) => Buffer.from(s, 'utf8');

function problemOf(input: Uint8Array, name = 'in.json'): string {
  try {
    parseKubeBenchBytes(input, name);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message.startsWith(`${name}: `)).toBe(true);
    return (e as InputError).problem;
  }
  throw new Error('expected an InputError');
}

describe('bad input gets a one-line error naming the input', () => {
  it.each([
    ['an empty file', new Uint8Array(0), /is empty/],
    ['white space only', bytes('  \n\t\n'), /only white space/],
    ['binary data', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]), /binary/],
    ['gzip data', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), /gzip/],
    ['truncated JSON', bytes(json.slice(0, 500)), /not valid JSON/],
    ['JSON of another shape', bytes('{"items":[],"kind":"List"}'), /not kube-bench output.*items, kind/],
    ['a JSON array of numbers', bytes('[1,2,3]'), /not kube-bench output/],
    [
      'kube-bench JSON without results',
      bytes('{"Controls":[],"Totals":{"total_pass":0,"total_fail":0,"total_warn":0,"total_info":0}}'),
      /without a single check/,
    ],
    ['text with no check lines', bytes('# my notes\nnothing to see\n'), /no kube-bench/],
    ['invalid UTF-8', Uint8Array.from([0x5b, 0x46, 0x41, 0x49, 0x4c, 0x5d, 0x20, 0xc3, 0x28, 0xa0, 0xa1, 0x0a]), /is not UTF-8 text/],
  ])('%s', (_name, input, pattern) => {
    const problem = problemOf(input);
    expect(problem).toMatch(pattern);
    expect(problem).not.toContain('\n');
  });

  it('UTF-16 with a byte-order mark (PowerShell redirection) is read, not refused', () => {
    const text = '\uFEFF[FAIL] 3.2.4 Ensure that the --read-only-port is secured (Automated)\n';
    const le = Buffer.from(text, 'utf16le');
    expect(le[0]).toBe(0xff);
    const r = parseKubeBenchBytes(le, 'ps.txt');
    expect(r.nodes[0]!.checks.map((c) => [c.id, c.status])).toEqual([['3.2.4', 'FAIL']]);
  });

  it('a file over the size limit', () => {
    const big = new Uint8Array(MAX_INPUT_BYTES + 1).fill(0x20);
    expect(problemOf(big)).toMatch(/over the .*-byte limit/);
  });
});

describe('parsers never throw anything but InputError (property-based)', () => {
  const inputs = [
    json,
    printKubeBenchText(sampleReport(), { includeTestOutput: true }),
    encodeEnvelope(json, { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' }) +
      encodeEnvelope(json, { node: 'n2', pool: 'p', benchmark: 'aks-1.8', format: 'json' }),
  ];

  const mutated = fc
    .tuple(fc.constantFrom(...inputs), fc.nat(), fc.nat(), fc.string({ maxLength: 20 }), fc.constantFrom('cut', 'insert', 'delete', 'replace-json-value'))
    .map(([base, a, b, s, op]) => {
      const i = a % (base.length + 1);
      const j = Math.min(base.length, i + (b % 200));
      if (op === 'cut') return base.slice(0, i);
      if (op === 'insert') return base.slice(0, i) + s + base.slice(i);
      if (op === 'delete') return base.slice(0, i) + base.slice(j);
      return base.replace(/"(PASS|FAIL|test_number|results|tests|Controls)"/, JSON.stringify(s));
    });

  it('mutated and truncated inputs', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        try {
          const r = parseKubeBenchBytes(bytes(text), 'fuzz');
          // Whatever parses is internally consistent.
          for (const n of r.nodes) expect(n.totals.pass + n.totals.fail + n.totals.warn + n.totals.info).toBe(n.checks.length);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        try {
          parseKubeBenchBytes(bytes(JSON.stringify(v) ?? 'null'), 'fuzz.json', { format: 'json' });
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('kube-bench-shaped JSON with wrong field types', () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    const result = fc.record({
      test_number: anyValue,
      test_desc: anyValue,
      status: fc.oneof(fc.constantFrom(...CHECK_STATUSES), anyValue),
      scored: anyValue,
      type: anyValue,
      actual_value: anyValue,
    });
    const doc = fc.record({
      Controls: fc.array(
        fc.record({
          id: anyValue,
          version: anyValue,
          tests: fc.oneof(
            fc.constant(null),
            fc.array(fc.record({ section: anyValue, results: fc.oneof(fc.constant(null), fc.array(result, { maxLength: 4 })) }), { maxLength: 3 }),
          ),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(doc, (d) => {
        try {
          parseKubeBenchBytes(bytes(JSON.stringify(d)), 'fuzz.json');
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});
