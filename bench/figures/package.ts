/**
 * package.zip_bytes: the deployment package azure.yaml deploys, staged and zipped by the same script
 * (scripts/stage-package.mjs), against the installed node_modules it is drawn from (the baseline, in
 * the same run: what azd zipped before the package was staged). Goal: at most 15 MB zipped.
 */
import { mkdtempSync, readdirSync, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, stagePackage, zipFolder } from '../../scripts/stage-package.mjs';
import type { Figure } from '../measure.js';
import { round } from '../measure.js';

const GOAL_BYTES = 15_000_000;

function du(path: string): number {
  const st = lstatSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((n, name) => n + du(join(path, name)), 0) : st.size;
}

export async function packageFigures(): Promise<Record<string, Figure>> {
  const out = mkdtempSync(join(tmpdir(), 'aksfs-package-'));
  try {
    const staged = stagePackage({ out });
    const zipBytes = zipFolder(out);
    const installed = du(join(REPO_ROOT, 'node_modules'));
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const largest = staged.dependencies
      .slice(0, 8)
      .map((d) => `${d.name} ${mb(d.bytes)}`)
      .join(', ');
    return {
      'package.zip_bytes': {
        value: zipBytes,
        unit: 'bytes (zip of the staged package)',
        baseline: installed,
        ratio: round(zipBytes / installed, 4),
        goal: `<= ${GOAL_BYTES} bytes (15 MB)`,
        met: zipBytes <= GOAL_BYTES,
        note: `staged: ${staged.files} files, ${mb(staged.bytes)} unzipped; baseline: the installed node_modules (dev included), ${mb(installed)} unzipped; largest dependencies (unzipped): ${largest}`,
      },
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
