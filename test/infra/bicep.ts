/**
 * Finds the Bicep CLI that .ci/bicep.sh restored from NuGet and compiles templates with it.
 * The tests never download anything themselves: without the CLI they skip and say why.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ArmTemplate } from './arm-deploy.js';

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');

/** Path of the Bicep CLI, or undefined when .ci/bicep.sh has not installed it. */
export function findBicep(): string | undefined {
  const path = join(REPO_ROOT, '.ci', 'tools', 'bicep', 'bicep');
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export const BICEP = findBicep();

export const SKIP_REASON = 'Bicep CLI not found at .ci/tools/bicep/bicep: run `bash .ci/bicep.sh` to restore it from NuGet';

/** Hash of every Bicep and JSON file next to and below `file`, and of the CLI binary's path. */
function sourceHash(file: string): string {
  const h = createHash('sha256').update(`${BICEP ?? ''}\0${basename(file)}\0`);
  const root = dirname(file);
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(bicep|json)$/.test(e.name)) h.update(`${relative(root, p)}\0`).update(readFileSync(p)).update('\0');
    }
  };
  walk(root);
  return h.digest('hex');
}

const CACHE_DIR = join(tmpdir(), 'aksfs-bicep-cache');

/**
 * Compiles one .bicep file to its ARM JSON. Throws with Bicep's own diagnostics on error.
 * Several test files compile the same template; a cache keyed by the sources' content saves a
 * compiler start (about 1.5 s) for each repeat without ever serving a stale template.
 */
export async function compileBicep(file: string): Promise<ArmTemplate> {
  if (BICEP === undefined) throw new Error(SKIP_REASON);
  const cached = join(CACHE_DIR, `${sourceHash(file)}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as ArmTemplate;
  } catch {
    // Not cached yet: compile below.
  }
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' };
  try {
    const { stdout } = await run(BICEP, ['build', file, '--stdout'], {
      timeout: 60_000,
      maxBuffer: 32 * 1024 * 1024,
      env,
    });
    const template = JSON.parse(stdout) as ArmTemplate;
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written under a unique name and renamed, so a parallel test file never reads half a file.
    const partial = `${cached}.${process.pid}.${Date.now()}`;
    writeFileSync(partial, stdout);
    renameSync(partial, cached);
    return template;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`bicep build ${file} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
}
