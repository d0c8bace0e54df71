/**
 * What `serve` and `demo` refuse before a request reaches the API. They listen on 127.0.0.1 with
 * the developer's credentials (and `serve` may point at real Azure), so a web page must not drive
 * them: a Host that is not a loopback name is DNS rebinding, and a state-changing request from
 * another origin (a cross-site form or fetch) must not start a fleet scan. Browsers always send
 * Origin on cross-origin POSTs, and cannot send `Content-Type: application/json` cross-origin
 * without a CORS preflight, which this host never grants.
 */

export interface GuardRequest {
  method: string;
  headers: Readonly<Record<string, string | undefined>>;
}

export interface Refusal {
  status: 403 | 415 | 421;
  message: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header value (without its port), lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname) && Number(u.port || 80) === port;
  } catch {
    return false;
  }
}

/** Null when the request may go on; else the answer to give, naming what was refused. */
export function refuseNonLocal(req: GuardRequest, port: number): Refusal | null {
  const host = req.headers['host'] ?? '';
  if (!LOOPBACK_HOSTS.has(hostName(host))) {
    return { status: 421, message: `Host "${host.slice(0, 100)}" is not a loopback name; this local server answers only 127.0.0.1, localhost and [::1]` };
  }
  const method = req.method.toUpperCase();
  if (SAFE_METHODS.has(method)) return null;
  const origin = req.headers['origin'];
  if (origin !== undefined && !isLoopbackOrigin(origin, port)) {
    return {
      status: 403,
      message: `${method} from origin "${origin.slice(0, 100)}" refused: state-changing requests are accepted only from this server's own pages`,
    };
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') return { status: 403, message: `${method} from a cross-site page refused` };
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, message: `${method} needs Content-Type: application/json (got "${(req.headers['content-type'] ?? 'none').slice(0, 60)}")` };
  }
  return null;
}
