#!/usr/bin/env node
// The published CLI runs the compiled core; `npm run build` produces dist/.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  else throw e;
});
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`aks-fleet-scanner: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 2;
    },
  );
