/**
 * The Kubernetes version a kube-bench output was taken on, read from the output itself: kube-bench's own
 * log lines (`Kubernetes version: "1.27" to Benchmark version: ...`) or the prose around a pasted output
 * ("... AKS running on Kubernetes 1.29.4"). kube-bench's "Assuming default version" lines are not the
 * node's version and are never read. JSON carries detected_version, which the JSON parser keeps.
 */

export type VersionOrigin = 'option' | 'kube-bench' | 'log' | 'prose';

export interface VersionReading {
  /** Normalised, e.g. "1.10.3". */
  version: string;
  from: VersionOrigin;
  /** The text it was read from, e.g. "Kubernetes 10.3". */
  raw: string;
  /** Set when the raw text needed interpreting, e.g. "10.3" read as 1.10.3. */
  note: string | null;
}

// kube-bench cmd/common.go and cmd/util.go (glog): the version it detected and mapped.
const KUBE_BENCH_LINES = [
  /Kubernetes version:\s*"v?(\d+\.\d+(?:\.\d+)?)[^"]*"\s+to Benchmark version/i,
  /Mapped Kubernetes version:\s*v?(\d+\.\d+(?:\.\d+)?)/i,
  /Kubernetes REST API Reported version:\s*v?(\d+\.\d+(?:\.\d+)?)/i,
];
// A default kube-bench assumed is not what the node ran.
const ASSUMED = /default version|assuming/i;
const PROSE = /\b(Kubernetes|k8s|AKS)(?:\s+version)?\s*(?:v(?=\d))?(\d{1,2}\.\d{1,3}(?:\.\d{1,3})?)\b/i;

/** "1.29" / "1.29.4" stay; a two-part "10.3" (no Kubernetes 10.x exists) is read as 1.10.3, with a note. */
export function interpretVersion(raw: string): { version: string; note: string | null } | null {
  const parts = raw.split('.').map(Number);
  if (parts.some((n) => !Number.isInteger(n))) return null;
  if (parts[0] === 1 && parts.length >= 2) return { version: parts.join('.'), note: null };
  if (parts.length === 2 && (parts[0] ?? 0) >= 2) {
    const version = `1.${parts[0]}.${parts[1]}`;
    return {
      version,
      note: `"${raw}" is not a Kubernetes version (every Kubernetes release is 1.x); the only sensible reading is ${version}, a 1.${parts[0]} cluster`,
    };
  }
  return null;
}

/** The version a text or log input states, or null. kube-bench's own lines win over prose. */
export function readVersionFromText(text: string): VersionReading | null {
  let prose: VersionReading | null = null;
  for (const line of text.split('\n')) {
    if (line.length > 2000) continue;
    for (const re of KUBE_BENCH_LINES) {
      const m = re.exec(line);
      const v = m?.[1] ? interpretVersion(m[1]) : null;
      if (v && !ASSUMED.test(line)) return { ...v, from: 'log', raw: line.trim().slice(0, 200) };
    }
    if (prose || ASSUMED.test(line) || /^\s*(?:\d+[.)]\s+|[-*+]\s+)?\[(?:PASS|FAIL|WARN|INFO)\]/.test(line)) continue;
    const m = PROSE.exec(line);
    const v = m?.[2] ? interpretVersion(m[2]) : null;
    if (m && v) prose = { ...v, from: 'prose', raw: `${m[1]} ${m[2]}` };
  }
  return prose;
}

/** --kubernetes-version: "1.31", "v1.31.2"; anything else is refused by the caller. */
export function readVersionOption(value: string): VersionReading | null {
  const m = /^v?(1\.\d{1,3}(?:\.\d{1,3})?)$/.exec(value.trim());
  return m?.[1] ? { version: m[1], from: 'option', raw: value, note: null } : null;
}
