/**
 * Kubernetes versions as the knowledge base compares them. Verdicts depend on the version a node ran:
 * AKS set some values only from some version on, and stopped writing some flags later.
 */

/** "v1.27.3", "1.27", "1.27.3-hotfix.20240101" → [1, 27, 3] (patch 0 when absent); null when not a version. */
export function parseKubeVersion(v: string | null | undefined): [number, number, number] | null {
  if (!v) return null;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Negative when a < b. Versions that do not parse compare equal (callers check first). */
export function compareKubeVersions(a: string, b: string): number {
  const x = parseKubeVersion(a);
  const y = parseKubeVersion(b);
  if (!x || !y) return 0;
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** "1.27.3" → "1.27": the minor is what AKS support and the data's rules speak of. */
export function minorOf(v: string): string | null {
  const p = parseKubeVersion(v);
  return p ? `${p[0]}.${p[1]}` : null;
}

/** Whether version lies in [from, below). */
export function inVersionRange(version: string, range: { from?: string | undefined; below?: string | undefined }): boolean {
  if (!parseKubeVersion(version)) return false;
  if (range.from !== undefined && compareKubeVersions(version, range.from) < 0) return false;
  if (range.below !== undefined && compareKubeVersions(version, range.below) >= 0) return false;
  return true;
}

export function describeRange(range: { from?: string | undefined; below?: string | undefined }): string {
  if (range.from !== undefined && range.below !== undefined) return `${range.from} up to (not including) ${range.below}`;
  if (range.below !== undefined) return `below ${range.below}`;
  return `${range.from ?? '?'} and later`;
}
