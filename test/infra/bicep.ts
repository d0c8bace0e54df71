/**
 * Finds the Bicep CLI that .ci/bicep.sh restored from NuGet and compiles templates with it.
 * The tests never download anything themselves: without the CLI they skip and say why.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
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
      else if (/\.(bicep|json)$/.test(e.name))
        h.update(`${relative(root, p)}\0`)
          .update(readFileSync(p))
          .update('\0');
    }
  };
  walk(root);
  return h.digest('hex');
}

const CACHE_DIR = join(tmpdir(), 'aksfs-bicep-cache');

function readCached(path: string): ArmTemplate | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ArmTemplate;
  } catch {
    return undefined;
  }
}

/** Test files run in parallel workers; a lock file lets one compile while the others wait for it. */
async function waitForOtherCompiler(cached: string, lock: string): Promise<ArmTemplate | undefined> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    const t = readCached(cached);
    if (t) return t;
    if (!existsSync(lock)) return readCached(cached);
    await sleep(150);
  }
  return undefined;
}

function takeLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch {
    // A lock left by a killed run is ignored after two minutes.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 120_000) {
        rmSync(lock, { force: true });
        closeSync(openSync(lock, 'wx'));
        return true;
      }
    } catch {
      // Lost a race for the stale lock: wait like any other follower.
    }
    return false;
  }
}

/**
 * Compiles one .bicep file to its ARM JSON. Throws with Bicep's own diagnostics on error.
 * Several test files compile the same template; a cache keyed by the sources' content saves a
 * compiler start (one to several seconds on a busy machine) for each repeat without ever serving
 * a stale template.
 */
export async function compileBicep(file: string): Promise<ArmTemplate> {
  if (BICEP === undefined) throw new Error(SKIP_REASON);
  mkdirSync(CACHE_DIR, { recursive: true });
  const cached = join(CACHE_DIR, `${sourceHash(file)}.json`);
  const hit = readCached(cached);
  if (hit) return hit;
  const lock = `${cached}.lock`;
  const owner = takeLock(lock);
  if (!owner) {
    const t = await waitForOtherCompiler(cached, lock);
    if (t) return t;
  }
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' };
  try {
    const { stdout } = await run(BICEP, ['build', file, '--stdout'], {
      timeout: 60_000,
      maxBuffer: 32 * 1024 * 1024,
      env,
    });
    const template = JSON.parse(stdout) as ArmTemplate;
    // Written under a unique name and renamed, so a parallel test file never reads half a file.
    const partial = `${cached}.${process.pid}.${Date.now()}`;
    writeFileSync(partial, stdout);
    renameSync(partial, cached);
    return template;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`bicep build ${file} failed: ${err.stderr ?? err.message}`, { cause: e });
  } finally {
    if (owner) rmSync(lock, { force: true });
  }
}
