/**
 * Secrets out of kube-bench's `actual` values. Since v0.15.1 kube-bench may read
 * /etc/kubernetes/azure.json as the kubelet config on AKS and copy it whole into `actual_value`;
 * that file holds the cluster identity's aadClientSecret. Nothing downstream (reports, Table
 * Storage, alerts) may see it, so values are masked where they are parsed.
 *
 * It runs on every check of every node (bench: parse.vs_json_parse), so it looks only where a
 * secret-like word occurs, and reads the name and value around it by hand: no backtracking regex.
 */

export const REDACTED = '[redacted]';

const SECRET_WORD =
  /secret|password|passwd|token|sas|accountkey|connectionstring|clientkey|privatekey|key-data|certificate-data|sharedaccesssignature|sig|apikey|bearer/gi;
// A name is a secret's when it ends with a secret word ("aadClientSecret", "bootstrap-token"), not
// when the word sits inside it ("authentication-token-webhook") or names where a secret is kept
// ("tlsPrivateKeyFile"). Kubeconfig's client-key-data and client-certificate-data hold the key and
// certificate themselves; `sig` is a SAS URL's signature; "Bearer <token>" is an Authorization header.
const SECRET_NAME =
  /(secret|password|passwd|token|sas|accountkey|connectionstring|clientkey|privatekey|keydata|certificatedata|sharedaccesssignature|^sig|apikey|^bearer)$/i;

/** A PEM private key: its body goes, its BEGIN/END lines stay as evidence of what was there. */
const PEM_PRIVATE_KEY = /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_.-]/.test(c);
}

function skipSpaces(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** The [start, end) of the value after a name, or null when the name is not followed by a value. */
function valueSpan(text: string, s: number, e: number): [number, number] | null {
  if (text[s - 1] === '"' && text[e] === '"') {
    // "name": "value"
    let i = skipSpaces(text, e + 1);
    if (text[i] !== ':') return null;
    i = skipSpaces(text, i + 1);
    if (text[i] !== '"') return null;
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return [i + 1, Math.min(j, text.length)];
  }
  let i: number;
  if (/^bearer$/i.test(text.slice(s, e))) {
    // "Authorization: Bearer <token>": the token follows a space, not = or :.
    i = skipSpaces(text, e);
    let j = i;
    while (j < text.length && !/[\s,;"']/.test(text[j] as string)) j++;
    return j > i && i > e ? [i, j] : null;
  }
  if (text[e] === '=' || text[e] === ':') i = skipSpaces(text, e + 1);
  else if (text[s - 1] === '-' && (text[e] === ' ' || text[e] === '\t')) i = skipSpaces(text, e);
  else return null;
  if (text[i] === '"' || text[i] === "'") {
    const close = text.indexOf(text[i] as string, i + 1);
    return [i + 1, close < 0 ? text.length : close];
  }
  if (text[i] === '-') return null;
  // A SAS signature ends at the next URL parameter; other values may hold an & of their own.
  const stop = /^sig$/i.test(text.slice(s, e)) ? /[\s,;"'}&]/ : /[\s,;"'}]/;
  let j = i;
  while (j < text.length && !stop.test(text[j] as string)) j++;
  return j > i ? [i, j] : null;
}

// kube-bench copies the same kubelet command line into every kubelet check: remember the last one.
let lastIn = '';
let lastOut = '';

export function redactSecrets(text: string): string {
  if (text === lastIn) return lastOut;
  const out = redact(text);
  lastIn = text;
  lastOut = out;
  return out;
}

function redact(input: string): string {
  const text = input.includes('PRIVATE KEY-----') ? input.replace(PEM_PRIVATE_KEY, (_m, begin: string, end: string) => `${begin}${REDACTED}${end}`) : input;
  SECRET_WORD.lastIndex = 0;
  let out = '';
  let copied = 0;
  let m: RegExpExecArray | null;
  while ((m = SECRET_WORD.exec(text))) {
    let s = m.index;
    while (isNameChar(text[s - 1])) s--;
    while (text[s] === '-') s++;
    let e = SECRET_WORD.lastIndex;
    while (isNameChar(text[e])) e++;
    SECRET_WORD.lastIndex = e;
    if (s < copied || !SECRET_NAME.test(text.slice(s, e).replace(/[-_.]/g, ''))) continue;
    const span = valueSpan(text, s, e);
    if (!span || text.slice(span[0], span[1]) === REDACTED) continue;
    out += text.slice(copied, span[0]) + REDACTED;
    copied = span[1];
    SECRET_WORD.lastIndex = Math.max(e, span[1]);
  }
  return copied === 0 ? text : out + text.slice(copied);
}
