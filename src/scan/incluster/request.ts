/**
 * Builds the run-command request that scans one cluster: `bash ./aksfs-scan.sh` with a context
 * zip holding the script, the Job template and scan.env (see contract.ts).
 *
 * The script, template and jq program are shipped as files next to this module and read at run
 * time, so the build must copy src/scan/incluster/*.sh, *.jq and *.yaml next to the compiled .js.
 */
import { readFileSync } from 'node:fs';
import { ContextZip, ENV_FILE, JOB_TEMPLATE_FILE, NAMESPACE_NAME, NODES_FILE, RUN_COMMAND, SCRIPT_FILE, formatScanEnv } from './contract.js';
import type { ScanEnv } from './contract.js';
import { errorMessage } from '../../model/errors.js';

export interface RunCommandRequest {
  command: string;
  /** base64 zip of the script, the Job template and scan.env. */
  context: string;
  /** Entra token for the AKS server app; only for clusters with aadProfile.managed. */
  clusterToken?: string;
}

const cache = new Map<string, string>();

function asset(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    const url = new URL(`./${name}`, import.meta.url);
    try {
      text = readFileSync(url, 'utf8');
    } catch (e) {
      const why = errorMessage(e);
      throw new Error(
        `in-cluster asset ${name} is missing next to ${new URL('.', import.meta.url).pathname} (the build must copy src/scan/incluster/*.sh, *.jq and *.yaml): ${why}`,
        {
          cause: e,
        },
      );
    }
    cache.set(name, text);
  }
  return text;
}

/** The bash script the run-command pod runs. */
export function scanScript(): string {
  return asset(SCRIPT_FILE);
}

/** The Job manifest with __AKSFS_*__ placeholders that the script fills per node. */
export function jobTemplate(): string {
  return asset(JOB_TEMPLATE_FILE);
}

/** The node-selection jq program both in-cluster scripts run. */
export function nodesProgram(): string {
  return asset(NODES_FILE);
}

/** The files every scan context holds besides scan.env. */
export function scanContextFiles(): Record<string, string> {
  return { [SCRIPT_FILE]: scanScript(), [JOB_TEMPLATE_FILE]: jobTemplate(), [NODES_FILE]: nodesProgram() };
}

/** Built once per process: the fleet's workers POST thousands of commands with the same script. */
let scanZip: ContextZip | undefined;

/** The body of ManagedClusters runCommand for one scan (or one batch of a scan). */
export function buildRunCommandRequest(env: ScanEnv, opts: { clusterToken?: string } = {}): RunCommandRequest {
  const badPool = env.pools.find((p) => !/^[a-z0-9]+$/.test(p));
  if (badPool !== undefined) throw new Error(`buildRunCommandRequest: pool ${JSON.stringify(badPool)} is not an AKS pool name (lower-case letters and digits)`);
  if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(env.scanId)) {
    throw new Error(
      `buildRunCommandRequest: env.scanId ${JSON.stringify(env.scanId)} must be 1-40 lower-case letters, digits or '-' (it names Jobs kb-<scanId>-<n>)`,
    );
  }
  if (!NAMESPACE_NAME.test(env.namespace)) throw new Error(`buildRunCommandRequest: namespace ${JSON.stringify(env.namespace)} is not a namespace name`);
  if (env.batchSize < 1) throw new Error('buildRunCommandRequest: env.batchSize must be at least 1');
  if (env.jobTimeoutSeconds < 1) throw new Error('buildRunCommandRequest: env.jobTimeoutSeconds must be at least 1');
  scanZip ??= new ContextZip(scanContextFiles());
  const context = scanZip.build({ [ENV_FILE]: formatScanEnv(env) });
  const request: RunCommandRequest = { command: RUN_COMMAND, context };
  if (opts.clusterToken !== undefined) request.clusterToken = opts.clusterToken;
  return request;
}
