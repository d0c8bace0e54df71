/**
 * The deployment package: scripts/stage-package.mjs stages it into a temporary folder (outside the
 * checkout, so Node cannot fall back to the checkout's node_modules), and the product is then run
 * from it: every compiled module loads with only the production dependencies, `explain` works, and
 * `demo` / `scan --simulate` answer in one line that the dev tooling is not there.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_OUT, DEV_ONLY_DIST, productionPackages, stagePackage, type StagedPackage } from '../../scripts/stage-package.mjs';
import { REPO_ROOT } from './bicep.js';

const run = (args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );

const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));

describe('the staged deployment package', () => {
  let out: string;
  let staged: StagedPackage;
  const rootPkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'aksfs-stage-test-'));
    staged = stagePackage({ out });
  }, 600_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('holds exactly dist/, host.json, package.json and node_modules/', () => {
    expect(readdirSync(out).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(readdirSync(join(out, 'dist')).sort()).toEqual(['functions', 'src']);
    for (const d of DEV_ONLY_DIST) expect(existsSync(join(out, 'dist', d)), d).toBe(false);
    expect(files(join(out, 'dist')).filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  });

  it('package.json lists the production dependencies only, and the host finds the functions through main', () => {
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['dependencies']).toEqual(rootPkg.dependencies);
    expect(pkg).not.toHaveProperty('devDependencies');
    expect(pkg).not.toHaveProperty('scripts');
    expect(pkg['main']).toBe('dist/functions/*.js');
    expect(readdirSync(join(out, 'dist', 'functions')).filter((f) => f.endsWith('.js')).length).toBeGreaterThanOrEqual(4);
  });

  it('node_modules holds the production packages of the lock file and no dev package', () => {
    const keys = new Set(productionPackages().map((p) => p.key));
    for (const dev of Object.keys(rootPkg.devDependencies)) {
      expect(existsSync(join(out, 'node_modules', dev)), dev).toBe(false);
      expect(keys.has(`node_modules/${dev}`), dev).toBe(false);
    }
    for (const dep of Object.keys(rootPkg.dependencies)) expect(existsSync(join(out, 'node_modules', dep, 'package.json')), dep).toBe(true);
    // The product keeps one YAML library, and the simulator's certificate generator stays out.
    expect(existsSync(join(out, 'node_modules', 'js-yaml'))).toBe(true);
    for (const name of ['yaml', 'selfsigned', 'azurite', 'typescript', 'vitest', 'playwright-core', 'esbuild'])
      expect(existsSync(join(out, 'node_modules', name)), name).toBe(false);
    expect(staged.dependencies.map((d) => d.name)).toContain('@azure/functions');
  });

  it('every compiled module loads from the package with only its own node_modules', async () => {
    const modules = files(join(out, 'dist')).filter((f) => f.endsWith('.js'));
    const code = `for (const f of ${JSON.stringify(modules.map((m) => `./${relative(out, m)}`))}) await import(f); console.log('loaded');`;
    const r = await run(['--input-type=module', '-e', code], out);
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('WARNING:'))).toEqual([]);
    expect(r.stdout.trim()).toBe('loaded');
  });

  it('the CLI runs from the package: explain works; demo and scan --simulate say in one line that the dev tooling is absent', async () => {
    const explain = await run(['dist/src/cli/main.js', 'explain', join(REPO_ROOT, 'examples', 'seed-aks-node.txt')], out);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('Summary');
    for (const args of [
      ['demo', '--once'],
      ['scan', '--simulate'],
    ]) {
      const r = await run(['dist/src/cli/main.js', ...args], out);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `aks-fleet-scanner ${args[0]}: ${args.join(' ').replace(' --once', '')} needs the development tooling (ARM simulator, embedded Azurite), which this package leaves out: run it from a checkout after npm ci`,
      ]);
    }
  });
});

describe('azure.yaml deploys the staged folder', () => {
  const service = () =>
    (parse(readFileSync(join(REPO_ROOT, 'azure.yaml'), 'utf8')) as { services: { scanner: Record<string, unknown> } }).services.scanner as {
      dist: string;
      remoteBuild: boolean;
      hooks: Record<string, { posix: { run: string }; windows: { run: string } }>;
    };

  it('dist is the folder the staging script writes, built locally, staged before packaging and checked after deploying', () => {
    const svc = service();
    expect(join(REPO_ROOT, svc.dist)).toBe(DEFAULT_OUT);
    expect(svc.remoteBuild).toBe(false);
    for (const [hook, script] of [
      ['prepackage', 'scripts/stage-package.mjs'],
      ['postdeploy', 'scripts/postdeploy-check.mjs'],
    ] as const) {
      expect(svc.hooks[hook]?.posix.run).toBe(`node ${script}`);
      expect(svc.hooks[hook]?.windows.run).toBe(`node ${script}`);
      expect(existsSync(join(REPO_ROOT, script))).toBe(true);
    }
  });

  it('.funcignore does not list node_modules (azd would switch to a remote build)', () => {
    const patterns = readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(patterns.filter((p) => /^\/?(\*\*\/)?node_modules\/?(\*\*)?$/.test(p))).toEqual([]);
  });
});
