/**
 * How `scan` and `doctor` reach ARM: Azure (DefaultAzureCredential), a simulator already running
 * (--arm-endpoint with --arm-ca), or one started for the command (--simulate [FLEET.json]).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { ArmClients } from '../azure/arm.js';
import { createArmClients } from '../azure/arm.js';
import { parseClusterId } from '../discover/cluster-ref.js';
import { InputError, errorMessage } from '../model/errors.js';
import type { PollTiming } from '../scan/run-command.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import { NAMESPACE_NAME } from '../scan/incluster/contract.js';
import { loadDevTooling } from './dev-tooling.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { simulatorCredential } from './static-credential.js';

/** Poll timing for the simulator, whose commands take about a second instead of half a minute. */
export const SIMULATED_POLL_TIMING: PollTiming = { firstPollDelayMs: 300, pollIntervalMs: 200 };

export interface ArmFlags {
  'arm-endpoint'?: string | undefined;
  'arm-ca'?: string | undefined;
  simulate?: string | undefined;
}

export interface ArmConnectionFor {
  arm: ArmClients;
  timing: PollTiming;
  /** Stops the simulator --simulate started. */
  stop(): Promise<void>;
}

/** `--simulate` takes an optional fleet file; parseArgs cannot express that, so give it an explicit value. */
export function normaliseSimulate(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--simulate') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out.push(`--simulate=${next}`);
        i++;
      } else out.push('--simulate=default');
    } else out.push(a);
  }
  return out;
}

/** Refuses bad --arm-endpoint / --arm-ca / --simulate combinations and --cluster values before any call. */
export function checkArmFlags(values: ArmFlags, clusterIds: readonly string[]): void {
  if (values['arm-endpoint'] !== undefined) {
    let url: URL;
    try {
      url = new URL(values['arm-endpoint']);
    } catch {
      throw new UsageError(`--arm-endpoint must be a URL, not "${values['arm-endpoint']}"`);
    }
    // The SDK sends bearer tokens only over TLS; say so before it fails deep inside.
    if (url.protocol !== 'https:')
      throw new UsageError(`--arm-endpoint must be an https:// URL (Azure SDK clients send tokens only over TLS), not "${values['arm-endpoint']}"`);
  }
  for (const id of clusterIds) {
    try {
      parseClusterId(id);
    } catch {
      throw new UsageError(
        `--cluster must be an AKS resource id (/subscriptions/.../resourceGroups/.../providers/Microsoft.ContainerService/managedClusters/NAME), not "${id}"`,
      );
    }
  }
  if (values['arm-endpoint'] && values.simulate) throw new UsageError('--arm-endpoint and --simulate cannot be used together');
  if (Boolean(values['arm-endpoint']) !== Boolean(values['arm-ca']))
    throw new UsageError("--arm-endpoint and --arm-ca go together (the simulator's endpoint and its CA certificate)");
}

export async function connectArm(values: ArmFlags, io: CliIo, command: string): Promise<ArmConnectionFor> {
  let endpoint = values['arm-endpoint'];
  let ca = values['arm-ca'] ? readCa(resolve(io.cwd, values['arm-ca'])) : undefined;
  let credential: TokenCredential;
  let timing = DEFAULT_POLL_TIMING;
  let stop = async (): Promise<void> => undefined;
  if (values.simulate) {
    const sim = await loadDevTooling(`${command} --simulate`, () => import('../simulator/index.js'));
    const fleet =
      values.simulate === 'default'
        ? sim.defaultDemoFleet()
        : sim.parseFleetSpec(parseJsonFile(resolve(io.cwd, values.simulate), values.simulate), values.simulate);
    // Commands take ~1 s here instead of ~30 s in Azure; SIMULATED_POLL_TIMING matches.
    const running = await sim.startArmSimulator({ fleet, commandDurationMs: 600, commandJitterMs: 400, retryAfterSeconds: 0 });
    stop = () => running.stop();
    endpoint = running.endpoint;
    ca = running.ca;
    credential = simulatorCredential();
    timing = SIMULATED_POLL_TIMING;
  } else if (endpoint) {
    credential = simulatorCredential();
    timing = SIMULATED_POLL_TIMING;
  } else {
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential = new DefaultAzureCredential();
  }
  const arm = createArmClients({ credential, ...(endpoint ? { endpoint } : {}), ...(ca ? { ca } : {}) });
  return { arm, timing, stop };
}

/** --namespace: the scan namespace instead of SCAN_NAMESPACE. */
export function namespaceFlag(v: string | undefined): string | undefined {
  if (v !== undefined && !NAMESPACE_NAME.test(v))
    throw new UsageError(`--namespace must be a Kubernetes namespace name (a DNS-1123 label: 1-63 lower-case letters, digits or "-"), not "${v}"`);
  return v;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new InputError(path, 'cannot be read as a CA certificate (PEM)');
  }
}

function parseJsonFile(path: string, name: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(name, 'does not exist or cannot be read');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(name, `is not valid JSON (${errorMessage(e)})`);
  }
}
