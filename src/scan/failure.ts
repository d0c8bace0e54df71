/**
 * Turns what went wrong into one precise reason. ARM errors arrive as RestError (status + code),
 * command failures as a `reason` string, node failures as our Job's status lines.
 */
import type { FailReason } from '../model/cluster.js';

export interface ScanFailure {
  reason: FailReason;
  detail: string;
}

export class ScanError extends Error {
  override readonly name = 'ScanError';
  constructor(
    readonly reason: FailReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

interface RestLike {
  statusCode?: number;
  code?: string;
  message: string;
  name?: string;
}

function isRestLike(e: unknown): e is RestLike {
  return typeof e === 'object' && e !== null && 'message' in e;
}

/** The policy named in an admission denial, when the message gives it. */
export function deniedPolicy(message: string): string | null {
  const m = /\[([a-z0-9][a-z0-9.-]*)\]/i.exec(message) ?? /admission webhook "([^"]+)"/i.exec(message);
  return m ? (m[1] ?? null) : null;
}

/**
 * An admission controller's refusal: a webhook (Gatekeeper, which Azure Policy and Deployment
 * Safeguards use), a ValidatingAdmissionPolicy, or Pod Security Admission. Kubernetes prints these
 * as "Error from server (Forbidden)" too, so this is asked before any RBAC or HTTP status test.
 */
export function admissionDenial(text: string): string | null {
  const m =
    /admission webhook "[^"]*" denied the request[^\n]*/i.exec(text) ??
    /ValidatingAdmissionPolicy '[^']*'[^\n]* denied request[^\n]*/i.exec(text) ??
    /violates PodSecurity "[^"]*"[^\n]*/i.exec(text);
  if (!m) return null;
  // Keep what the line says before the match too: it names the object ("pods "x" is forbidden").
  const start = text.lastIndexOf('\n', m.index) + 1;
  return text.slice(start, m.index + m[0].length).slice(0, 600);
}

/** The admission failure for a denial, naming the policy and what was denied. */
export function admissionFailure(what: string, denial: string): ScanFailure {
  const policy = deniedPolicy(denial);
  return { reason: 'admission-denied', detail: `${what} denied${policy ? ` by policy ${policy}` : ''}: ${denial}` };
}

export function failureFromError(e: unknown, where: string): ScanFailure {
  if (e instanceof ScanError) return { reason: e.reason, detail: e.detail };
  if (!isRestLike(e)) return { reason: 'internal', detail: `${where}: ${String(e)}` };
  const status = e.statusCode;
  const code = e.code ?? '';
  const msg = e.message.split('\n')[0]?.slice(0, 500) ?? '';
  // ARM passes on the API server's refusal of the command pod itself, whatever status it wraps it in.
  const denial = admissionDenial(e.message);
  if (denial) return admissionFailure(`${where}: the run-command pod (namespace aks-command) was`, denial);
  if (e.name === 'AbortError' || /aborted/i.test(msg)) return { reason: 'timeout', detail: `${where}: the cluster's deadline passed` };
  if (code === 'MissingAADClusterToken' || /MissingAADClusterToken/.test(msg)) return { reason: 'missing-cluster-token', detail: `${where}: ${msg}` };
  if (code === 'KubernetesPerformanceError' || /did not start within/i.test(msg)) return { reason: 'command-not-started', detail: `${where}: ${msg}` };
  if (status === 404) return { reason: 'not-found', detail: `${where}: ${code || 'NotFound'}: ${msg}` };
  if (status === 401 || status === 403) return { reason: 'forbidden', detail: `${where}: ARM ${code || status}: ${msg}` };
  if (status === 429) return { reason: 'throttled', detail: `${where}: still throttled after the retry budget: ${msg}` };
  if (status !== undefined && status >= 500) return { reason: 'arm-unavailable', detail: `${where}: ARM ${status} ${code}: ${msg}` };
  if (status === undefined && /ECONNRESET|socket hang up|ECONNREFUSED|ETIMEDOUT|timeout/i.test(msg)) {
    return { reason: 'arm-unavailable', detail: `${where}: ${msg}` };
  }
  return { reason: 'internal', detail: `${where}: ${status ?? ''} ${code} ${msg}`.replace(/\s+/g, ' ').trim() };
}

/** A command that ARM reports as failed, by its `reason`. */
export function failureFromCommandReason(reason: string): ScanFailure {
  const denial = admissionDenial(reason);
  if (denial) return admissionFailure('the run-command pod was', denial);
  if (/ImagePull|ErrImagePull|pull access denied/i.test(reason)) return { reason: 'image-pull', detail: reason };
  if (/admission webhook|denied the request|violates PodSecurity|forbidden: .*policy/i.test(reason)) {
    const policy = deniedPolicy(reason);
    return { reason: 'admission-denied', detail: policy ? `denied by policy ${policy}: ${reason}` : reason };
  }
  if (/did not start|KubernetesPerformanceError/i.test(reason)) return { reason: 'command-not-started', detail: reason };
  if (/timed? ?out|deadline/i.test(reason)) return { reason: 'timeout', detail: reason };
  return { reason: 'command-failed', detail: reason || 'run-command reported failed without a reason' };
}

/**
 * What to do when nodes cannot pull the kube-bench image: it is on Docker Hub and public ECR, not
 * on MCR, so clusters limited to AKS's required FQDNs or network-isolated ones cannot reach it.
 */
export const IMAGE_PULL_FIX =
  'fix: copy the image into an ACR the cluster pulls from (az acr import, or an ACR cache rule), pinned by digest, grant the kubelet identity AcrPull, and point KUBE_BENCH_IMAGE or the cluster tag aks-fleet-scanner-image at it (README, "Before your first scan")';

/** Kubernetes RBAC denials in a command's own output (kubectl prints them to stderr, merged into logs). */
export function kubernetesForbidden(logs: string): string | null {
  const m = /Error from server \(Forbidden\):[^\n]*/.exec(logs) ?? /\bis forbidden: User "[^"]*" cannot [^\n]*/.exec(logs);
  return m ? m[0].slice(0, 400) : null;
}

/** Node status lines from our Job → the cluster-level reason when no node could be scanned. */
export function failureFromNodeStatus(status: string): FailReason {
  switch (status) {
    case 'admission-denied':
      return 'admission-denied';
    case 'image-pull':
      return 'image-pull';
    // Our kube-bench Jobs could not be placed on their nodes (the run-command pod itself did start).
    case 'unschedulable':
      return 'unschedulable';
    case 'not-started':
      return 'command-not-started';
    case 'timeout':
      return 'timeout';
    case 'truncated':
      return 'output-truncated';
    case 'forbidden':
      return 'forbidden';
    case 'over-limit':
    case 'not-in-plan':
      return 'over-limit';
    case 'corrupt':
    case 'no-output':
      return 'unparseable-output';
    default:
      return 'command-failed';
  }
}
