/**
 * The tests read the vendored copies under third_party/ so they run in any clone. Where shared/ sits
 * beside the checkout, the copies must be identical to it: a stale copy would let the data drift from
 * the reference the reviewers read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_SHARED, SHARED_CFG, SHARED_MS_TABLES, VENDORED_CFG, VENDORED_MS_TABLES, filesUnder, msRows } from './helpers.js';

describe('vendored reference copies', () => {
  it('the vendored Microsoft tables hold all six editions and name their source', () => {
    const md = readFileSync(VENDORED_MS_TABLES, 'utf8');
    expect(md).toMatch(/MicrosoftDocs\/azure-aks-docs/);
    expect(new Set(msRows().map((r) => r.commit)).size).toBe(6);
  });

  it.runIf(HAS_SHARED)('third_party/microsoft/aks-cis.md is byte-identical to shared/reference/aks-cis.md', () => {
    expect(readFileSync(VENDORED_MS_TABLES).equals(readFileSync(SHARED_MS_TABLES))).toBe(true);
  });

  it.runIf(HAS_SHARED)('every cfg file in shared/kube-bench/cfg is vendored byte-identical', () => {
    const shared = filesUnder(SHARED_CFG);
    const vendored = filesUnder(VENDORED_CFG);
    expect(shared.filter((f) => !vendored.includes(f))).toEqual([]);
    const differing = shared.filter((f) => !readFileSync(join(VENDORED_CFG, f)).equals(readFileSync(join(SHARED_CFG, f))));
    expect(differing).toEqual([]);
  });

  it('the vendored cfg is the AKS benchmarks plus node, policies and config of every cis-1.x edition, from one named commit', () => {
    const files = filesUnder(VENDORED_CFG);
    const cis = files.filter((f) => f.startsWith('cis-'));
    expect(new Set(cis.map((f) => f.split('/')[1]))).toEqual(new Set(['config.yaml', 'node.yaml', 'policies.yaml']));
    expect(new Set(cis.map((f) => f.split('/')[0])).size).toBe(11);
    const sources = readFileSync(join(VENDORED_CFG, '..', 'SOURCES.md'), 'utf8');
    expect(sources).toContain('a73ce378418c71c5861e6963753f50dec3badadf');
    for (const dir of new Set(cis.map((f) => f.split('/')[0] ?? ''))) expect(sources).toContain(dir);
  });
});
