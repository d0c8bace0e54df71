/**
 * `npm run bench [-- --json] [-- --only prefix]`: every speed goal, as a ratio against a baseline
 * measured in the same run. Figures are added by later work to the same object.
 */
import type { Figure } from './measure.js';
import { parseFigure } from './figures/parse.js';
import { scanFigures } from './figures/scan.js';
import { storeFigures } from './figures/store.js';
import { readScaleFigures } from './figures/readscale.js';
import { functionsFigures } from './figures/functions.js';
import { alertFigures } from './figures/alerts.js';
import { reliabilityFigures } from './figures/reliability.js';
import { packageFigures } from './figures/package.js';
import { fleetFigures } from './figures/fleet.js';
import { dashboardFigures } from './figures/dashboard.js';
import { inclusterFigures } from './figures/incluster.js';

type FigureSet = () => Promise<Record<string, Figure>>;

/** Each set, and the figure-name prefixes it produces (so `--only api` finds the set that measures it). */
const FIGURES: { run: FigureSet; provides: string[] }[] = [
  { run: parseFigure, provides: ['parse.'] },
  { run: scanFigures, provides: ['scan.'] },
  { run: storeFigures, provides: ['store.', 'api.'] },
  { run: readScaleFigures, provides: ['api.storage_requests'] },
  { run: functionsFigures, provides: ['functions.'] },
  { run: alertFigures, provides: ['alerts.'] },
  { run: reliabilityFigures, provides: ['reliability.'] },
  { run: packageFigures, provides: ['package.'] },
  { run: fleetFigures, provides: ['fleet.', 'functions.busy_seconds_per_cluster_vs_command'] },
  { run: dashboardFigures, provides: ['dashboard.'] },
  { run: inclusterFigures, provides: ['incluster.'] },
];

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? argv[onlyIdx + 1] : undefined;
  const out: Record<string, Figure> = {};
  for (const set of FIGURES) {
    if (only && !set.provides.some((p) => p.startsWith(only) || only.startsWith(p))) continue;
    for (const [name, figure] of Object.entries(await set.run())) if (!only || name.startsWith(only)) out[name] = figure;
  }
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else {
    for (const [k, f] of Object.entries(out)) {
      const ratio = f.ratio === null ? '' : ` ratio ${f.ratio} (goal ${f.goal})`;
      process.stdout.write(
        `${f.met ? 'ok  ' : 'MISS'} ${k}: ${f.value} ${f.unit}${f.baseline === null ? '' : `, baseline ${f.baseline}`}${ratio}${f.note ? `\n      ${f.note}` : ''}\n`,
      );
    }
  }
  return 0;
}

main(process.argv.slice(2)).then((c) => (process.exitCode = c));
