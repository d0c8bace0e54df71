// Stages the deployment package: exactly what runs in the Function app, in one folder that
// azure.yaml deploys (`dist: .deploy`, with its `prepackage` hook running this script):
//   dist/          the compiled product, without the development tooling (src/simulator, src/local)
//   host.json      the Functions host configuration
//   package.json   name, version, type, main, engines and the production dependencies only
//   node_modules/  the production dependencies, as package-lock.json resolves them (no dev ones)
//
// azd would otherwise zip the project folder as it is after a local build, with every dev
// dependency in it (azure-dev pkg/project/project_utils.go, createDeployableZip).
// The bench (package.zip_bytes) zips the staged folder with zipFolder() below.
//
// usage: node scripts/stage-package.mjs [--out DIR] [--zip FILE]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { copyAssets } from './copy-assets.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(REPO_ROOT, '.deploy');
/** Compiled folders that are development tooling: the ARM simulator and the embedded Azurite starter. */
export const DEV_ONLY_DIST = ['src/simulator', 'src/local'];
const PACKAGE_FIELDS = ['name', 'version', 'description', 'license', 'type', 'engines', 'main', 'dependencies'];

function du(path) {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, name) => n + du(join(path, name)), 0);
}

/** Production packages from the lock file: every installed entry not marked dev. */
export function productionPackages(root = REPO_ROOT) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages ?? {})
    .filter(([key, meta]) => key.startsWith('node_modules/') && !meta.dev && !meta.devOptional && !meta.link)
    .map(([key, meta]) => ({ key, optional: Boolean(meta.optional) }));
}

/**
 * Files Node never loads from node_modules: source maps, type declarations, TypeScript sources (Node
 * refuses to strip types under node_modules) and Markdown. Licence files stay.
 */
export const NOT_RUN = /\.(map|md|markdown)$|\.[cm]?ts$/i;

function copyPackage(root, out, key) {
  const from = join(root, key);
  cpSync(from, join(out, key), {
    recursive: true,
    filter: (src) => {
      const rel = relative(from, src).split(sep);
      // Nested node_modules are separate lock entries, copied on their own if they are production ones.
      if (rel.includes('node_modules')) return false;
      return !(NOT_RUN.test(src) && statSync(src).isFile());
    },
  });
}

/**
 * Builds (tsc into the staged dist/, without type checking: `npm run build` and `npm run lint` do
 * that; then the run-time assets), and stages the package into `out`,
 * which is emptied first. Returns what it staged.
 */
export function stagePackage({ root = REPO_ROOT, out = DEFAULT_OUT } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const dist = join(out, 'dist');
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist, '--sourceMap', 'false', '--noCheck'], {
    cwd: root,
    stdio: 'inherit',
  });
  copyAssets(root, dist);
  for (const d of DEV_ONLY_DIST) rmSync(join(dist, d), { recursive: true, force: true });

  cpSync(join(root, 'host.json'), join(out, 'host.json'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const lean = Object.fromEntries(PACKAGE_FIELDS.filter((k) => k in pkg).map((k) => [k, pkg[k]]));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(lean, null, 2)}\n`);

  const missing = [];
  for (const { key, optional } of productionPackages(root)) {
    if (existsSync(join(root, key))) copyPackage(root, out, key);
    else if (!optional) missing.push(key);
  }
  if (missing.length) throw new Error(`production dependencies are not installed (run npm ci): ${missing.join(', ')}`);
  return summarise(out);
}

/** Sizes of the staged folder: total bytes and files, and each production dependency's bytes, largest first. */
export function summarise(out) {
  const nm = join(out, 'node_modules');
  const dependencies = [];
  const visit = (dir) => {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (name.startsWith('@')) visit(join(dir, name));
      else dependencies.push({ name: relative(nm, join(dir, name)).split(sep).join('/'), bytes: du(join(dir, name)) });
    }
  };
  visit(nm);
  dependencies.sort((a, b) => b.bytes - a.bytes);
  return { out, bytes: du(out), files: listFiles(out).length, dependencies };
}

function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p).split(sep).join('/')];
  });
}

/** Zips a folder (deflate level 6, fixed timestamps), optionally writing the zip; returns its size in bytes. */
export function zipFolder(dir, file) {
  const mtime = new Date('2020-01-01T00:00:00Z');
  const entries = {};
  for (const rel of listFiles(dir)) entries[rel] = [readFileSync(join(dir, rel)), { level: 6, mtime }];
  const zip = zipSync(entries);
  if (file) writeFileSync(file, zip);
  return zip.length;
}

function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = resolve(arg('--out') ?? DEFAULT_OUT);
  const s = stagePackage({ out });
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  console.log(`staged ${s.files} files, ${mb(s.bytes)}, in ${relative(process.cwd(), out) || '.'}`);
  console.log(
    `largest dependencies: ${s.dependencies
      .slice(0, 6)
      .map((d) => `${d.name} ${mb(d.bytes)}`)
      .join(', ')}`,
  );
  const zip = arg('--zip');
  if (zip) console.log(`zipped: ${mb(zipFolder(out, resolve(zip)))} in ${zip}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`stage-package: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
