/**
 * `aks-fleet-scanner simulator [--fleet FILE] [--port N] [--seed N] [--page-size N]`: serves a
 * fleet over HTTPS until SIGINT, printing the endpoint and the CA path clients must trust.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage, InputError } from '../model/errors.js';
import type { FleetSpec } from './fleet-spec.js';
import { parseFleetSpec } from './fleet-spec.js';
import { defaultDemoFleet } from './fleets.js';
import { startArmSimulator } from './server.js';

export const SIMULATOR_USAGE = `usage: aks-fleet-scanner simulator [--fleet FILE] [--port N] [--seed N] [--page-size N] [--command-ms N]
  Serves a simulated Azure Resource Manager for a fleet of AKS clusters on https://127.0.0.1.
  --fleet FILE     fleet spec JSON (default: the built-in demo fleet)
  --port N         port to listen on (default: a free port)
  --seed N         seed for faults and ids (default 1)
  --page-size N    items per page of list results (default 100)
  --command-ms N   how long each run-command takes (default 2000)
`;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`--${name}`, `must be a whole number, not ${JSON.stringify(v)}`);
  return n;
}

export async function runSimulatorCli(argv: string[], out: NodeJS.WritableStream = process.stdout, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      fleet: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      'page-size': { type: 'string' },
      'command-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(SIMULATOR_USAGE);
    return 0;
  }
  let fleet: FleetSpec;
  if (values.fleet) {
    let text: string;
    try {
      text = readFileSync(values.fleet, 'utf8');
    } catch (e) {
      throw new InputError(values.fleet, `cannot be read (${errorMessage(e)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new InputError(values.fleet, `is not JSON (${errorMessage(e)})`);
    }
    fleet = parseFleetSpec(json, values.fleet);
  } else {
    fleet = defaultDemoFleet();
  }
  const sim = await startArmSimulator({
    fleet,
    port: int(values.port, 'port'),
    seed: int(values.seed, 'seed'),
    pageSize: int(values['page-size'], 'page-size'),
    commandDurationMs: int(values['command-ms'], 'command-ms'),
  });
  out.write(`ARM simulator: ${fleet.subscriptions.length} subscription(s), ${fleet.clusters.length} cluster(s)\n`);
  out.write(`endpoint: ${sim.endpoint}\n`);
  out.write(`ca: ${sim.caPath}\n`);
  out.write('Press Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
  await sim.stop();
  out.write(`ARM simulator stopped after ${sim.requests.length} request(s)\n`);
  return 0;
}
