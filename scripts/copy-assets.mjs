// tsc compiles only TypeScript; the knowledge base (YAML), the in-cluster scripts, jq program and Job
// template are read at run time from beside the compiled modules, so copy them into dist/.
// `npm run build` copies into dist/; scripts/stage-package.mjs into its own staged dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// *.browser.mjs: the dashboard's browser script, inlined into the page at run time (src/dashboard/).
const ASSET = /\.(ya?ml|sh|jq|html|css|json)$|\.browser\.mjs$/;

/** Copies every run-time asset under `root`/src to the same place under `distDir`/src. */
export function copyAssets(root, distDir) {
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const src = join(dir, name);
      if (statSync(src).isDirectory()) walk(src);
      else if (ASSET.test(name)) cpSync(src, join(distDir, relative(root, src)));
    }
  };
  walk(join(root, 'src'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) copyAssets(process.cwd(), 'dist');
