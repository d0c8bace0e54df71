/** The aks-fleet-scanner command line: one small dispatcher over the core. */
import { InputError, errorMessage } from '../model/errors.js';
import type { CliIo } from './io.js';
import { SettingsError } from '../config/settings.js';
import { processIo, UsageError } from './io.js';
import { USAGES } from './usage.js';
import { loadDevTooling } from './dev-tooling.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

// Commands load on demand: `explain` should not pay for the Azure SDKs that `scan` needs.
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  explain: { load: async () => (await import('./explain.js')).explainCommand, summary: 'triage a kube-bench output file (JSON, pod log or text)' },
  diff: { load: async () => (await import('./diff.js')).diffCommand, summary: 'compare two kube-bench outputs: new FAILs, fixes, coverage changes (for CI)' },
  checks: { load: async () => (await import('./checks.js')).checksCommand, summary: 'list the AKS knowledge base, for review' },
  scan: { load: async () => (await import('./scan.js')).scanCommand, summary: 'scan every AKS cluster the identity can see (or --simulate a fleet)' },
  doctor: {
    load: async () => (await import('./doctor.js')).doctorCommand,
    summary: 'check that clusters can be scanned (ARM permissions, Kubernetes RBAC, admission, image, capacity) with one run-command each',
  },
  demo: {
    load: async () => (await import('./demo.js')).demoCommand,
    summary: 'scan a simulated fleet end to end: embedded Azurite, ARM simulator, timer → queue → workers → API',
  },
  waivers: {
    load: async () => (await import('./waivers.js')).waiversCommand,
    summary: 'import a waiver file into the waivers table, or export the table as one',
  },
  serve: { load: async () => (await import('./serve.js')).serveCommand, summary: 'serve the HTTP API and dashboard locally over stored results' },
  simulator: {
    load: async () => {
      const { runSimulatorCli } = await loadDevTooling('simulator', () => import('../simulator/index.js'));
      return (argv) => {
        const i = argv.indexOf('--port');
        const port = i >= 0 ? Number(argv[i + 1]) : 0;
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port number, not "${argv[i + 1]}"`);
        return runSimulatorCli(argv);
      };
    },
    summary: 'run the ARM simulator on its own (prints its endpoint and CA path)',
  },
};

export const USAGE = `aks-fleet-scanner: CIS Kubernetes Benchmark results for every AKS node pool, triaged for AKS

usage: aks-fleet-scanner <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

${USAGES}
`;

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`aks-fleet-scanner: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = USAGES.split('\n').filter(
      (l, i, all) =>
        l.startsWith(`usage: aks-fleet-scanner ${name} `) ||
        (l.startsWith(' ') &&
          all
            .slice(0, i)
            .reverse()
            .find((x) => x.startsWith('usage:'))
            ?.startsWith(`usage: aks-fleet-scanner ${name} `)),
    );
    io.stdout.write(`${command.summary}\n${usage.join('\n')}\n`);
    return 0;
  }
  try {
    const run = await command.load();
    return await run(rest, io);
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError || e instanceof SettingsError || isParseArgsError(e)) {
      io.stderr.write(`aks-fleet-scanner ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Error && /EADDRINUSE/.test(e.message)) {
      io.stderr.write(`aks-fleet-scanner ${name}: ${e.message.split('\n')[0]}: the port is in use; choose another with --port (0 picks a free one)\n`);
      return 2;
    }
    const service = serviceFailure(e);
    if (service) {
      io.stderr.write(`aks-fleet-scanner ${name}: ${service}\n`);
      return 3;
    }
    throw e;
  }
}

function isParseArgsError(e: unknown): e is TypeError {
  return e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
}

/** Storage, ARM or sign-in failures: not a bug of ours and not bad input, so one line and exit 3. */
function serviceFailure(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const first = e.message.split('\n')[0] ?? '';
  if (e.name === 'StoreError') return first;
  if (e.name === 'RestError') return `Azure Resource Manager: ${first}`;
  if (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'AggregateAuthenticationError' ||
    /ChainedTokenCredential/.test(first)
  ) {
    return `cannot sign in to Azure (az login, managed identity or AZURE_* environment): ${first}`;
  }
  return null;
}

// Run when executed directly (tsx src/cli/main.ts ...); the bin shim imports main() instead.
const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  // `aks-fleet-scanner explain x | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`aks-fleet-scanner: internal error: ${errorMessage(e)}\n`);
      process.exitCode = 70;
    },
  );
}
