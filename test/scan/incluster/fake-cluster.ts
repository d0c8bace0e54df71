/**
 * The scenario server behind fake-kubectl.sh, for both in-cluster scripts (aksfs-scan.sh and
 * aksfs-doctor.sh): records each kubectl call and answers it the way the API server, the Job
 * controller and the kubelet would for the scenario's per-node outcome. It keeps the Jobs it holds
 * between calls and between runs, as a cluster does: a second run against the same FakeCluster finds
 * the first run's Jobs. Listens on 127.0.0.1, port 0.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { errorMessage } from '../../../src/model/errors.js';

export type Outcome =
  | { kind: 'complete'; log?: string; afterPolls?: number }
  | { kind: 'failed'; log?: string; jobReason?: string; exitCode?: number; terminatedReason?: string; afterPolls?: number }
  | { kind: 'running' }
  | { kind: 'pending' }
  | { kind: 'unschedulable'; message?: string }
  | { kind: 'image-pull' | 'image-pull-retry'; message?: string }
  | { kind: 'no-pod'; event?: string };

export interface Scenario {
  nodes: unknown;
  nodesError?: string;
  namespaceError?: string;
  /** The scan namespace does not exist yet: listing its Jobs says NotFound until it is created. */
  namespaceMissing?: boolean;
  /** Jobs already in the scan namespace (earlier scans, an earlier attempt of this one). */
  existingJobs?: unknown[];
  /** Namespaces `get namespaces` lists; when absent the call is refused, as the shipped roles refuse it. */
  namespaces?: unknown[];
  /** kubectl apply's error for the Job of that node. */
  applyErrors?: Record<string, string>;
  /** What the pod of a Job on that node does; a node not listed completes with an empty log. */
  outcomes?: Record<string, Outcome>;
  /** `kubectl auth can-i` answers "no" for these "verb resource" pairs (the doctor's RBAC check). */
  cannot?: string[];
  /** stderr of a server-side dry run (the doctor's admission check). */
  dryRunError?: string;
}

export interface Call {
  argv: string[];
  /** Positional words: verb, resource, name. */
  words: string[];
  flags: Record<string, string | boolean>;
  /** Kinds and names of the objects sent with `-f -`. */
  applied: { kind?: string; name?: string }[];
  /** What was sent on stdin with `-f -`. */
  body: string;
}

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
}

interface K8sObject {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: string };
}

/** A Job the fake cluster holds, and the node its pod runs on ('' when its manifest named none). */
interface HeldJob {
  object: K8sObject;
  node: string;
}

const WITH_VALUE = new Set(['-n', '--namespace', '-o', '-l', '-c', '-f', '--field-selector']);

export function parseArgv(argv: string[]): { words: string[]; flags: Record<string, string | boolean> } {
  const words: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (WITH_VALUE.has(a)) flags[a] = argv[++i] ?? '';
    else if (a.startsWith('--') && a.includes('=')) flags[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else if (a.startsWith('-')) flags[a] = true;
    else words.push(a);
  }
  return { words, flags };
}

/** A label selector of key=value pairs and bare keys (existence), as the scripts pass them. */
function matches(selector: string, labels: Record<string, string> | undefined): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [k, v] = term.split('=');
      const have = labels?.[k ?? ''];
      return v === undefined ? have !== undefined : have === v;
    });
}

export class FakeCluster {
  readonly calls: Call[] = [];
  /** The Job manifests the scripts sent (applied or created, not dry runs), by Job name. */
  readonly jobs: Record<string, unknown> = {};
  /** Jobs that came into being: an apply of a Job the cluster already holds is not one. */
  readonly createdJobs: string[] = [];
  private readonly held = new Map<string, HeldJob>();
  private polls = 0;
  private namespaceExists: boolean;
  private server: Server | undefined;

  constructor(private readonly scenario: Scenario) {
    this.namespaceExists = !(scenario.namespaceMissing ?? false);
    for (const j of scenario.existingJobs ?? []) {
      const o = j as K8sObject;
      this.held.set(o.metadata?.name ?? '', { object: o, node: o.metadata?.labels?.['aksfs.io/node'] ?? '' });
    }
  }

  /** Names of the Jobs the cluster holds now. */
  heldJobs(): string[] {
    return [...this.held.keys()];
  }

  async listen(): Promise<number> {
    const server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const req = parseRequest(buf);
        if (!req) return;
        let answer: Answer;
        try {
          answer = this.handle(req.argv, req.body);
        } catch (e) {
          answer = { code: 96, stdout: '', stderr: `fake kubectl: ${errorMessage(e)}` };
        }
        sock.end(`${answer.code}\n${answer.stderr.replace(/\n+/g, ' ').trim()}\n${answer.stdout}`);
      });
      sock.on('error', () => undefined);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private outcome(node: string): Outcome {
    return this.scenario.outcomes?.[node] ?? { kind: 'complete', log: '' };
  }

  handle(argv: string[], body: string): Answer {
    const { words, flags } = parseArgv(argv);
    const docs = body ? parseAllDocuments(body).map((d) => d.toJSON() as K8sObject) : [];
    this.calls.push({ argv, words, flags, applied: docs.map((d) => ({ kind: d.kind, name: d.metadata?.name })), body });
    const ok = (stdout: string): Answer => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string): Answer => ({ code: 1, stdout: '', stderr });
    const list = (items: unknown[]): Answer => ok(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2) + '\n');

    if (!flags['--request-timeout']) return { code: 98, stdout: '', stderr: 'fake kubectl: every call must carry --request-timeout' };
    const [verb, what, name] = words;
    const ns = String(flags['-n'] ?? '');
    const selector = String(flags['-l'] ?? '');
    if (verb === 'auth' && what === 'can-i') {
      const denied = (this.scenario.cannot ?? []).includes(`${name ?? ''} ${words[3] ?? ''}`);
      return denied ? { code: 1, stdout: 'no\n', stderr: '' } : ok('yes\n');
    }
    if (verb === 'get' && what === 'jobs') {
      if (!this.namespaceExists) return fail(`Error from server (NotFound): namespaces "${ns}" not found`);
      const items = [...this.held.values()].map((j) => j.object).filter((o) => matches(selector, o.metadata?.labels));
      return flags['-o'] === 'name' ? ok(items.map((o) => `job.batch/${o.metadata?.name ?? ''}\n`).join('')) : list(items);
    }
    if (verb === 'delete' && (what === 'jobs' || what === 'job')) {
      for (const [k, j] of this.held) if (what === 'jobs' ? matches(selector, j.object.metadata?.labels) : k === name) this.held.delete(k);
      return ok(`job.batch deleted\n`);
    }
    if (verb === 'get' && what === 'namespaces') {
      if (!this.scenario.namespaces)
        return fail('Error from server (Forbidden): namespaces is forbidden: User "x" cannot list resource "namespaces" in API group "" at the cluster scope');
      return list(this.scenario.namespaces);
    }
    if (verb === 'delete' && what === 'namespace') return ok(`namespace "${name ?? ''}" deleted\n`);
    if (verb === 'get' && what === 'nodes') return this.scenario.nodesError ? fail(this.scenario.nodesError) : ok(JSON.stringify(this.scenario.nodes));
    if (verb === 'get' && what === 'serviceaccount') return ok(`serviceaccount/${name ?? ''}\n`);
    if (verb === 'create' && flags['--dry-run'] === 'server')
      return this.scenario.dryRunError ? fail(this.scenario.dryRunError) : ok('job.batch/x created (server dry run)\n');
    if (verb === 'create' && flags['--dry-run'] === 'client') return ok(JSON.stringify(docs[0]) + '\n');
    if (verb === 'apply' || verb === 'create') return this.apply(verb, docs);
    if (verb === 'get' && what === 'jobs,pods') return list(this.state(selector));
    if (verb === 'get' && what === 'events') {
      const m = /involvedObject\.name=([^,]+)/.exec(String(flags['--field-selector'] ?? ''));
      const job = this.held.get(m?.[1] ?? '');
      const o = job ? this.outcome(job.node) : undefined;
      return list(o?.kind === 'no-pod' && o.event ? [{ kind: 'Event', reason: 'FailedCreate', message: o.event }] : []);
    }
    if (verb === 'logs') {
      const pod = String(what).replace(/^pod\//, '');
      const job = [...this.held.entries()].find(([n]) => podName(n) === pod)?.[1];
      if (!job) return fail(`Error from server (NotFound): pods "${pod}" not found`);
      const o = this.outcome(job.node);
      return ok(o.kind === 'complete' || o.kind === 'failed' ? (o.log ?? '') : '');
    }
    return { code: 97, stdout: '', stderr: `fake kubectl: unexpected call ${argv.join(' ')}` };
  }

  /** apply creates a Job or leaves an existing one as it is (the scripts send the same manifest again); create refuses an existing one. */
  private apply(verb: string, docs: K8sObject[]): Answer {
    const out: string[] = [];
    for (const d of docs) {
      const name = d.metadata?.name ?? '';
      if (d.kind === 'Namespace') {
        if (this.scenario.namespaceError) return { code: 1, stdout: '', stderr: this.scenario.namespaceError };
        this.namespaceExists = true;
        out.push(`namespace/${name} created`);
      } else if (d.kind === 'Job') {
        const node = d.metadata?.labels?.['aksfs.io/node'] ?? '';
        this.jobs[name] = d;
        const err = this.scenario.applyErrors?.[node];
        if (err) return { code: 1, stdout: '', stderr: err };
        const there = this.held.get(name);
        if (there && verb === 'create') return { code: 1, stdout: '', stderr: `Error from server (AlreadyExists): jobs.batch "${name}" already exists` };
        if (there) {
          there.node ||= node;
          out.push(`job.batch/${name} unchanged`);
        } else {
          this.held.set(name, { object: { ...d, metadata: { ...d.metadata, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }, node });
          this.createdJobs.push(name);
          out.push(`job.batch/${name} created`);
        }
      } else return { code: 1, stdout: '', stderr: `fake kubectl: unexpected kind ${d.kind ?? '?'}` };
    }
    return { code: 0, stdout: out.join('\n') + '\n', stderr: '' };
  }

  /** The selected Jobs and their pods at this poll. */
  private state(selector: string): unknown[] {
    this.polls++;
    const items: unknown[] = [];
    for (const [name, j] of this.held) {
      if (!matches(selector, j.object.metadata?.labels)) continue;
      const o = this.outcome(j.node);
      const due = 'afterPolls' in o ? (o.afterPolls ?? 0) : 0;
      const kind = this.polls > due ? o.kind : 'running';
      const conditions: unknown[] = [];
      const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, status: { conditions } };
      const scheduled = { type: 'PodScheduled', status: 'True' };
      const pod = (phase: string, podConditions: unknown[], state: unknown): unknown => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName(name), labels: { 'job-name': name }, creationTimestamp: '2026-11-26T23:00:00Z' },
        status: { phase, conditions: podConditions, ...(state ? { containerStatuses: [{ name: 'kube-bench', state }] } : {}) },
      });
      items.push(job);
      const message = 'message' in o ? o.message : undefined;
      switch (kind) {
        case 'complete':
          conditions.push({ type: 'Complete', status: 'True' });
          items.push(pod('Succeeded', [scheduled], { terminated: { exitCode: 0, reason: 'Completed' } }));
          break;
        case 'failed': {
          const f = o.kind === 'failed' ? o : { kind: 'failed' as const };
          conditions.push({
            type: 'Failed',
            status: 'True',
            reason: f.jobReason ?? 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          });
          items.push(pod('Failed', [scheduled], { terminated: { exitCode: f.exitCode ?? 1, reason: f.terminatedReason ?? 'Error' } }));
          break;
        }
        case 'running':
          items.push(pod('Running', [scheduled], { running: { startedAt: '2026-11-26T23:00:01Z' } }));
          break;
        case 'pending':
          items.push(pod('Pending', [scheduled], { waiting: { reason: 'ContainerCreating' } }));
          break;
        case 'unschedulable':
          items.push(
            pod(
              'Pending',
              [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: message ?? '0/3 nodes are available: 1 Insufficient cpu.' }],
              null,
            ),
          );
          break;
        case 'image-pull':
        case 'image-pull-retry':
          items.push(
            pod('Pending', [scheduled], {
              waiting: {
                reason: kind === 'image-pull' ? 'ImagePullBackOff' : 'ErrImagePull',
                message: message ?? 'Back-off pulling image "registry.invalid/kube-bench:v0.15.6"',
              },
            }),
          );
          break;
        case 'no-pod':
          break;
      }
    }
    return items;
  }
}

function podName(job: string): string {
  return `${job}-x7k2p`;
}

/** `<argc> <bodylen>\n`, argc NUL-terminated args, then bodylen bytes; null until complete. */
export function parseRequest(buf: Buffer): { argv: string[]; body: string } | null {
  const nl = buf.indexOf(10);
  if (nl < 0) return null;
  const [argcText, lenText] = buf.subarray(0, nl).toString().split(' ');
  const argc = Number(argcText);
  const len = Number(lenText);
  const argv: string[] = [];
  let at = nl + 1;
  for (let i = 0; i < argc; i++) {
    const end = buf.indexOf(0, at);
    if (end < 0) return null;
    argv.push(buf.subarray(at, end).toString());
    at = end + 1;
  }
  if (buf.length - at < len) return null;
  return { argv, body: buf.subarray(at, at + len).toString() };
}
