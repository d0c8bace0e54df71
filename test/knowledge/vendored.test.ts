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

  it.runIf(HAS_SHARED)('third_party/kube-bench/cfg is identical to shared/kube-bench/cfg', () => {
    const vendored = filesUnder(VENDORED_CFG);
    expect(vendored).toEqual(filesUnder(SHARED_CFG));
    const differing = vendored.filter((f) => !readFileSync(join(VENDORED_CFG, f)).equals(readFileSync(join(SHARED_CFG, f))));
    expect(differing).toEqual([]);
  });
});
