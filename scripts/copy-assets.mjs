// tsc compiles only TypeScript; the knowledge base (YAML), the in-cluster script and the Job
// template are read at run time from beside the compiled modules, so copy them into dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(ya?ml|sh|html|css|json)$/;
function copy(dir) {
  for (const name of readdirSync(dir)) {
    const src = join(dir, name);
    if (statSync(src).isDirectory()) copy(src);
    else if (ASSET.test(name)) cpSync(src, join('dist', src));
  }
}
copy('src');
