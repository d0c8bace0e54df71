/**
 * `npm run bench [-- --json] [-- --only prefix]`: every speed goal, as a ratio against a baseline
 * measured in the same run. Figures are added by later work to the same object.
 */
import type { Figure } from './measure.js';

type FigureSet = () => Promise<Record<string, Figure>>;

/**
 * Each set, and the figure-name prefixes it produces (so `--only api` finds the set that measures it).
 * Sets are imported when they run: `--only package` should not load the Functions entry points, Azurite
 * and the simulator that other sets need.
 */
const FIGURES: { load: () => Promise<FigureSet>; provides: string[] }[] = [
  { load: async () => (await import('./figures/parse.js')).parseFigure, provides: ['parse.'] },
  { load: async () => (await import('./figures/scan.js')).scanFigures, provides: ['scan.'] },
  { load: async () => (await import('./figures/store.js')).storeFigures, provides: ['store.', 'api.summary_vs_naive'] },
  { load: async () => (await import('./figures/readscale.js')).readScaleFigures, provides: ['api.storage_requests'] },
  { load: async () => (await import('./figures/functions.js')).functionsFigures, provides: ['functions.entry'] },
  { load: async () => (await import('./figures/alerts.js')).alertFigures, provides: ['alerts.'] },
  { load: async () => (await import('./figures/reliability.js')).reliabilityFigures, provides: ['reliability.'] },
  { load: async () => (await import('./figures/package.js')).packageFigures, provides: ['package.'] },
  { load: async () => (await import('./figures/fleet.js')).fleetFigures, provides: ['fleet.', 'functions.busy_seconds_per_cluster_vs_command'] },
  { load: async () => (await import('./figures/dashboard.js')).dashboardFigures, provides: ['dashboard.'] },
  { load: async () => (await import('./figures/incluster.js')).inclusterFigures, provides: ['incluster.'] },
];

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? argv[onlyIdx + 1] : undefined;
  const out: Record<string, Figure> = {};
  for (const set of FIGURES) {
    if (only && !set.provides.some((p) => p.startsWith(only) || only.startsWith(p))) continue;
    const run = await set.load();
    for (const [name, figure] of Object.entries(await run())) if (!only || name.startsWith(only)) out[name] = figure;
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
