/**
 * Secrets out of kube-bench's `actual` values. Since v0.15.1 kube-bench may read
 * /etc/kubernetes/azure.json as the kubelet config on AKS and copy it whole into `actual_value`;
 * that file holds the cluster identity's aadClientSecret. Nothing downstream (reports, Table
 * Storage, alerts) may see it, so values are masked where they are parsed.
 */

// Names whose values are secrets; names ending in File/Path/Dir hold paths to them, which are kept.
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:secret|password|passwd|token|sas|accountkey|connectionstring|clientkey|privatekey)(?![A-Za-z0-9_.-]*(?:file|path|dir))[A-Za-z0-9_.-]*`;
const JSON_PAIR = new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const FLAG_PAIR = new RegExp(String.raw`(--${SECRET_NAME}[=\s]+|\b${SECRET_NAME}=)(?!\[redacted\])("[^"]*"|'[^']*'|[^\s,;"']+)`, 'gi');

export const REDACTED = '[redacted]';

export function redactSecrets(text: string): string {
  if (!/secret|password|passwd|token|sas|key|connectionstring/i.test(text)) return text;
  return text.replace(JSON_PAIR, `$1"${REDACTED}"`).replace(FLAG_PAIR, `$1${REDACTED}`);
}
