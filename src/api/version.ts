/** The product version, from the package.json beside the code (found by walking up from this module). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function productVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'aks-fleet-scanner' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // No package.json here: look one level up.
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (cached = 'unknown');
}
