import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { containerProgram } from './job-command.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const has = spawnSync('shellcheck', ['--version']).status === 0;
if (!has) console.warn('shellcheck is not installed: skipping the shellcheck tests (run .ci/shellcheck.sh to install it)');

describe.skipIf(!has)('shellcheck', () => {
  it('passes on the run-command scripts (scan and doctor) and the kubectl stand-in', () => {
    const r = spawnSync(
      'shellcheck',
      ['--shell=bash', '--severity=style', 'src/scan/incluster/aksfs-scan.sh', 'src/scan/incluster/aksfs-doctor.sh', 'test/scan/incluster/fake-kubectl.sh'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes on the Job container program as POSIX sh (the image runs busybox sh)', () => {
    const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', '-'], { input: containerProgram(), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('would catch a real problem (the check is live)', () => {
    expect(() => execFileSync('shellcheck', ['--shell=bash', '-'], { input: 'rm -rf $dir/*\n', stdio: 'pipe' })).toThrow();
  });
});
