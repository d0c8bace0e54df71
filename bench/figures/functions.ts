/**
 * functions.entry_import_ratio: importing the Functions entry points (dist/functions/*.js, as the
 * host loads them) in a fresh process, against importing @azure/functions alone. Handlers load
 * the core and the Azure SDKs on first use, so this stays close to 1.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Figure } from '../measure.js';
import { ratioFigure } from '../measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function importMs(specifiers: string[]): number {
  const code = `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(out.trim().split('\n').at(-1));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function functionsFigures(): Promise<Record<string, Figure>> {
  // Always a fresh build: measuring a stale dist/ would measure old code.
  // tsc reports type errors on stdout: passed to stderr, so that a failed build says why without touching --json output.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 2, 'inherit'] });
  const entries = readdirSync(`${ROOT}dist/functions`)
    .filter((f) => f.endsWith('.js'))
    .map((f) => `${ROOT}dist/functions/${f}`);
  const base: number[] = [];
  const ours: number[] = [];
  // Interleaved so that machine load affects both alike.
  for (let i = 0; i < 9; i++) {
    base.push(importMs(['@azure/functions']));
    ours.push(importMs(entries));
  }
  return {
    'functions.entry_import_ratio': ratioFigure(
      median(ours),
      median(base),
      'ms to import',
      1.5,
      `${entries.length} entry points (${entries.map((e) => e.split('/').pop()).join(', ')}) vs @azure/functions alone, median of 9 fresh processes each`,
    ),
  };
}
