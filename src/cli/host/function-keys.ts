/**
 * Function keys as the Functions host checks them, for the local host: the HTTP function that
 * serves a request is the first, in name order (case-insensitive), whose route template and method
 * match (azure-functions-host FunctionMetadataManager.cs, WebScriptHostHttpRoutesManager.cs); its
 * authLevel decides the key: anonymous none, function a function key or the admin (master) key,
 * admin only the admin key. The key comes as ?code= or x-functions-key; otherwise 401.
 */

export interface Registration {
  readonly name: string;
  readonly route: string;
  readonly methods: readonly string[];
  readonly authLevel: 'anonymous' | 'function' | 'admin';
}

export interface FunctionKeys {
  /** A function key: any route at function level. */
  function: string;
  /** The admin (master) key: every route. */
  admin: string;
}

/** ASP.NET route template matching as the host uses it: literals case-insensitive, {x} one segment, {*x} the rest. */
export function templateMatches(template: string, path: string): boolean {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  for (let i = 0; i < t.length; i++) {
    const seg = t[i] as string;
    if (/^\{\*[^}]+\}$/.test(seg)) return true;
    const got = p[i];
    if (got === undefined) return false;
    if (/^\{[^}]+\}$/.test(seg)) continue;
    if (seg.toLowerCase() !== got.toLowerCase()) return false;
  }
  return t.length === p.length;
}

/** The function the host would invoke for a request (path after /api/): name order, first match. */
export function servedBy<R extends Registration>(registrations: readonly R[], method: string, path: string): R | undefined {
  const ordered = [...registrations].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase(), 'en'));
  return ordered.find((r) => r.methods.includes(method) && templateMatches(r.route, path));
}

/** Null when the key suffices for the function that serves the request; else why not (answered 401). */
export function refuseKey(reg: Registration | undefined, key: string | undefined, keys: FunctionKeys): string | null {
  if (!reg || reg.authLevel === 'anonymous') return null;
  if (key === keys.admin) return null;
  if (reg.authLevel === 'function' && key === keys.function) return null;
  return `${reg.name} needs ${reg.authLevel === 'admin' ? 'the admin key' : 'a function key'} (?code= or x-functions-key)`;
}
