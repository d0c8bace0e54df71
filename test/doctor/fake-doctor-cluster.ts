/**
 * The scenario server behind fake-kubectl.sh for aksfs-doctor.sh: answers `auth can-i`, the Job
 * list, the node list, server- and client-side dry runs, the check Job and its pod's state, its
 * FailedCreate events and its deletion, and records every call.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { parseArgv, parseRequest } from '../scan/incluster/fake-cluster.js';

export type PodOutcome = 'complete' | 'image-pull' | 'unschedulable' | { deniedEvent: string };

export interface DoctorScenario {
  nodes: unknown;
  /** `kubectl auth can-i` answers "no" for these "verb resource" pairs. */
  cannot?: string[];
  namespaceMissing?: boolean;
  /** stderr of the server-side dry run of the scan's Job. */
  dryRunError?: string;
  pod?: PodOutcome;
}

export interface DoctorCall {
  argv: string[];
  words: string[];
  flags: Record<string, string | boolean>;
  body: string;
}

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
}

export class FakeDoctorCluster {
  readonly calls: DoctorCall[] = [];
  /** The check Job as the script created it. */
  checkJob: Record<string, unknown> | null = null;
  private server: Server | undefined;

  constructor(private readonly scenario: DoctorScenario) {}

  async listen(): Promise<number> {
    const server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const req = parseRequest(buf);
        if (!req) return;
        const a = this.handle(req.argv, req.body);
        sock.end(`${a.code}\n${a.stderr.replace(/\n+/g, ' ').trim()}\n${a.stdout}`);
      });
      sock.on('error', () => undefined);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(argv: string[], body: string): Answer {
    const { words, flags } = parseArgv(argv);
    this.calls.push({ argv, words, flags, body });
    const ok = (stdout: string): Answer => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string): Answer => ({ code: 1, stdout: '', stderr });
    const list = (items: unknown[]): Answer => ok(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) + '\n');
    const [verb, what] = words;
    const ns = String(flags['-n'] ?? '');
    if (verb === 'auth' && what === 'can-i') {
      const denied = (this.scenario.cannot ?? []).includes(`${words[2]} ${words[3]}`);
      return denied ? { code: 1, stdout: 'no\n', stderr: '' } : ok('yes\n');
    }
    if (verb === 'get' && what === 'jobs') {
      return this.scenario.namespaceMissing ? fail(`Error from server (NotFound): namespaces "${ns}" not found`) : ok('');
    }
    if (verb === 'get' && what === 'nodes') return ok(JSON.stringify(this.scenario.nodes));
    if (verb === 'create' && flags['--dry-run'] === 'server')
      return this.scenario.dryRunError ? fail(this.scenario.dryRunError) : ok('job.batch/x created (server dry run)\n');
    if (verb === 'create' && flags['--dry-run'] === 'client') return ok(JSON.stringify(parseAllDocuments(body)[0]?.toJSON()) + '\n');
    if (verb === 'create') {
      this.checkJob = JSON.parse(body) as Record<string, unknown>;
      return ok('job.batch/aksfs-doctor created\n');
    }
    if (verb === 'get' && what === 'jobs,pods') return list(this.state());
    if (verb === 'get' && what === 'events') {
      const p = this.scenario.pod;
      return list(typeof p === 'object' ? [{ kind: 'Event', reason: 'FailedCreate', message: p.deniedEvent }] : []);
    }
    if (verb === 'delete') return ok('job.batch deleted\n');
    return { code: 97, stdout: '', stderr: `fake kubectl: unexpected call ${argv.join(' ')}` };
  }

  private state(): unknown[] {
    const p = this.scenario.pod ?? 'complete';
    const job = { kind: 'Job', metadata: { name: 'aksfs-doctor-t1' }, status: { conditions: p === 'complete' ? [{ type: 'Complete', status: 'True' }] : [] } };
    if (typeof p === 'object') return [job];
    const status =
      p === 'complete'
        ? { phase: 'Succeeded', conditions: [{ type: 'PodScheduled', status: 'True' }] }
        : p === 'image-pull'
          ? {
              phase: 'Pending',
              conditions: [{ type: 'PodScheduled', status: 'True' }],
              containerStatuses: [
                { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "docker.io/aquasec/kube-bench:v0.15.6"' } } },
              ],
            }
          : {
              phase: 'Pending',
              conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 1 Insufficient cpu.' }],
            };
    return [job, { kind: 'Pod', metadata: { name: 'aksfs-doctor-t1-x' }, status }];
  }
}
