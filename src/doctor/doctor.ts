/**
 * `doctor` for one cluster: ARM's answers to reading the cluster, running a command and reading
 * its result prove the Azure permissions; the one command's script reports the in-cluster checks.
 * Plain functions over plain data; the ARM clients come in through `deps`.
 */
import type { ArmClients } from '../azure/arm.js';
import { toClusterRef } from '../discover/cluster-ref.js';
import { skipDecision } from '../discover/filters.js';
import type { ClusterRef } from '../model/cluster.js';
import type { ClusterDoctor, DoctorCheck, DoctorCheckId } from '../model/doctor.js';
import { DOCTOR_CHECK_IDS, IN_CLUSTER_CHECK_IDS } from '../model/doctor.js';
import { errorLine } from '../model/errors.js';
import { DEFAULT_NAMESPACE } from '../scan/incluster/contract.js';
import { failureFromError, ScanError } from '../scan/failure.js';
import { imageFor } from '../scan/plan.js';
import type { CommandResult, PollTiming, Sleep } from '../scan/run-command.js';
import { runClusterCommand, sleep } from '../scan/run-command.js';
import { AKS_SERVER_SCOPE } from '../scan/scan-cluster.js';
import { verdict } from './checks.js';
import { parseCheckLines } from './lines.js';
import { buildDoctorRequest, DEFAULT_DOCTOR_WAIT_SECONDS } from './request.js';

export interface DoctorTarget {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export interface DoctorOptions {
  /** KUBE_BENCH_IMAGE; the cluster's aks-fleet-scanner-image tag wins. */
  image?: string;
  namespace?: string;
  timing: PollTiming;
  /** The whole cluster's doctor must finish within this. */
  deadlineMs: number;
  /** How long the script waits for its check pod. */
  waitSeconds?: number;
  /** Names the check Job; unique per run by default. */
  doctorId?: string;
}

export interface DoctorDeps {
  arm: ArmClients;
  wait?: Sleep;
}

/** Where an ARM error came from: the runCommand POST or the commandResults GET. */
function failedCall(e: unknown): 'run' | 'result' | null {
  const url = (e as { request?: { url?: unknown } }).request?.url;
  const text = typeof url === 'string' ? url : e instanceof Error ? e.message : '';
  if (/\/commandResults\b/i.test(text)) return 'result';
  if (/\/runCommand\b/i.test(text)) return 'run';
  return null;
}

function describe(e: unknown): string {
  const err = e as { statusCode?: unknown; code?: unknown };
  const status = typeof err.statusCode === 'number' ? `${err.statusCode} ` : '';
  const code = typeof err.code === 'string' ? `${err.code}: ` : '';
  return `${status}${code}${errorLine(e)}`.slice(0, 600);
}

class Checks {
  private readonly byId = new Map<DoctorCheckId, DoctorCheck>();
  constructor(private readonly ns: string) {}
  set(id: DoctorCheckId, status: DoctorCheck['status'], detail: string): void {
    if (!this.byId.has(id)) this.byId.set(id, verdict(id, status, detail, this.ns));
  }
  /** Every check not yet decided is skipped, saying why. */
  skipRest(why: string): void {
    for (const id of DOCTOR_CHECK_IDS) this.set(id, 'skip', why);
  }
  list(): DoctorCheck[] {
    return DOCTOR_CHECK_IDS.map((id) => this.byId.get(id) ?? verdict(id, 'skip', 'not run', this.ns));
  }
}

async function clusterToken(arm: ArmClients, signal: AbortSignal): Promise<string> {
  const t = await arm.credential.getToken(AKS_SERVER_SCOPE, { abortSignal: signal });
  if (!t?.token) throw new ScanError('missing-cluster-token', 'the credential returned no token for the AKS server application');
  return t.token;
}

export async function doctorCluster(target: DoctorTarget, deps: DoctorDeps, opts: DoctorOptions, outer?: AbortSignal): Promise<ClusterDoctor> {
  const ns = opts.namespace ?? DEFAULT_NAMESPACE;
  const checks = new Checks(ns);
  const deadline = AbortSignal.timeout(opts.deadlineMs);
  const signal = outer ? AbortSignal.any([deadline, outer]) : deadline;
  const client = deps.arm.containerService(target.subscriptionId);
  const report = (cluster: ClusterRef | null, image: string | null): ClusterDoctor => {
    const list = checks.list();
    return {
      clusterId:
        cluster?.id ??
        `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${target.name}`,
      name: cluster?.name ?? target.name,
      ok: !list.some((c) => c.status === 'fail'),
      image,
      namespace: ns,
      checks: list,
    };
  };

  let cluster: ClusterRef;
  try {
    cluster = toClusterRef(await client.managedClusters.get(target.resourceGroup, target.name, { abortSignal: signal }));
  } catch (e) {
    checks.set('arm-read', 'fail', `GET the cluster: ${describe(e)}`);
    checks.skipRest('the cluster could not be read (see arm-read)');
    return report(null, null);
  }
  checks.set(
    'arm-read',
    'pass',
    `Kubernetes ${cluster.kubernetesVersion}; ARM agent pools: ${cluster.pools.map((p) => `${p.name} (${p.osType}, ${p.count})`).join(', ') || 'none'}${cluster.nodeAutoProvisioning ? '; node auto-provisioning' : ''}`,
  );

  const skip = skipDecision(cluster);
  if (skip) {
    checks.set('cluster-state', 'fail', `a scan skips it as ${skip.reason}: ${skip.detail}`);
    checks.skipRest('the cluster cannot run a command now (see cluster-state)');
    return report(cluster, null);
  }
  checks.set('cluster-state', 'pass', `Running, provisioningState ${cluster.provisioningState}, run-command enabled`);

  const chosen = imageFor(cluster, opts.image);
  if ('problem' in chosen) checks.set('image', 'fail', chosen.problem);
  const image = 'image' in chosen ? chosen.image : (opts.image ?? null);

  let result: CommandResult | undefined;
  try {
    const token = cluster.aadManaged ? await clusterToken(deps.arm, signal) : undefined;
    const body = buildDoctorRequest(
      {
        namespace: ns,
        image: image ?? 'docker.io/aquasec/kube-bench:v0.15.6',
        doctorId: opts.doctorId ?? `d${Date.now().toString(36)}`,
        waitSeconds: opts.waitSeconds ?? DEFAULT_DOCTOR_WAIT_SECONDS,
      },
      token ? { clusterToken: token } : {},
    );
    // A command whose pod never starts gets one new POST, as for a scan.
    for (let attempt = 1; ; attempt++) {
      try {
        result = await runClusterCommand(client, cluster, body, opts.timing, signal, deps.wait ?? sleep);
        break;
      } catch (e) {
        if (attempt >= 2 || failureFromError(e, 'doctor').reason !== 'command-not-started') throw e;
      }
    }
    checks.set('arm-run-command', 'pass', 'runCommand accepted the command');
    checks.set('arm-command-result', 'pass', `the result was read: exit code ${result.exitCode}`);
  } catch (e) {
    const f = deadline.aborted ? { reason: 'timeout', detail: `no result within ${Math.round(opts.deadlineMs / 1000)} s` } : failureFromError(e, 'run-command');
    const where = failedCall(e);
    if (e instanceof ScanError && e.reason === 'missing-cluster-token') checks.set('arm-run-command', 'fail', `MissingAADClusterToken: ${e.detail}`);
    else if (where === 'run' || (where === null && !(e instanceof ScanError) && !deadline.aborted)) checks.set('arm-run-command', 'fail', describe(e));
    else if (where === 'result') {
      checks.set('arm-run-command', 'pass', 'runCommand accepted the command');
      checks.set('arm-command-result', 'fail', describe(e));
    } else if (f.reason === 'command-not-started' && /not found/i.test(f.detail)) {
      checks.set('arm-run-command', 'pass', 'runCommand accepted the command (twice)');
      checks.set('arm-command-result', 'fail', `${f.detail} (after one retry)`);
    } else {
      // ARM ran the command but reports it failed: its pod did not start, was denied, or timed out.
      checks.set(
        'arm-run-command',
        f.reason === 'command-not-started' ? 'fail' : 'pass',
        f.reason === 'command-not-started' ? `${f.detail} (after one retry)` : 'runCommand accepted the command',
      );
      checks.set('arm-command-result', f.reason === 'timeout' ? 'fail' : 'pass', f.reason === 'timeout' ? f.detail : 'the result was read');
      checks.set('command-pod', 'fail', `${f.reason}: ${f.detail}`);
    }
    checks.skipRest('the command did not run to the end (see the ARM checks)');
    return report(cluster, image);
  }

  const lines = parseCheckLines(result.logs);
  const tail = result.logs.trimEnd().split('\n').slice(-3).join(' | ').slice(0, 400);
  for (const id of IN_CLUSTER_CHECK_IDS) {
    const line = lines.get(id);
    if (line) checks.set(id, line.status, line.detail);
    else checks.set(id, 'fail', `the doctor script did not report this check (exit code ${result.exitCode}): ${tail || 'no output'}`);
  }
  return report(cluster, image);
}
