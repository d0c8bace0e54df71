/** `waivers import | export` against Azurite: a checked file in, the same waivers out, nothing written on a bad file. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWaiverConfig } from '../../src/knowledge/waivers.js';
import { createWaiverTable } from '../../src/store/waivers.js';
import { useAzurite } from '../support/azurite.js';
import { runCli } from '../support/cli.js';

const az = useAzurite();
const dir = mkdtempSync(join(tmpdir(), 'aksfs-waivers-'));
const SUB = 'aaaaaaaa-0000-4000-8000-000000000001';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1`;
const inDays = (d: number): string => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);

const GOOD = `waivers:
  - id: ro-port
    topic: kubelet.read-only-port
    scope: all
    reason: Confirmed port 10255 closed on all node images (ticket SEC-123)
    owner: platform-team@example.com
    expires: ${inDays(90)}
  - check: 3.2.4
    benchmark: aks-1.8
    scope: { cluster: ${CLUSTER}, pool: system }
    reason: "Tracked in SEC-200: =cmd|' /C calc'!A0 is only text here"
    owner: team-a@example.com
    expires: ${inDays(30)}
  - topic: kubelet.anonymous-auth
    scope: ${SUB}
    reason: Equivalent control (SEC-7)
    owner: team-b@example.com
    expires: ${inDays(10)}
`;

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const storage = (): string[] => ['--storage', (az.target() as { value: string }).value];

describe('aks-fleet-scanner waivers import | export', () => {
  it('imports a waiver file (ids derived where missing) and exports the same waivers, which import again unchanged', async () => {
    const src = file('team-a.yaml', GOOD);
    const imported = await runCli(['waivers', 'import', src, ...storage()]);
    expect(imported.stderr).toContain('3 waiver(s)');
    expect(imported.code).toBe(0);
    const out = join(dir, 'out.yaml');
    const exported = await runCli(['waivers', 'export', out, ...storage()]);
    expect(exported.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const back = parseWaiverConfig(text, 'out.yaml').waivers;
    const orig = parseWaiverConfig(GOOD, 'team-a.yaml').waivers;
    expect(back.map((w) => w.id).sort()).toEqual(['ro-port', 'team-a-2', 'team-a-3']);
    const strip = (w: { id: string }) => ({ ...w, id: '' });
    expect(new Set(back.map((w) => JSON.stringify(strip(w))))).toEqual(new Set(orig.map((w) => JSON.stringify(strip(w)))));
    const again = await runCli(['waivers', 'import', out, ...storage()]);
    expect(again.stderr).toContain('0 new, 3 replaced');
    const table = createWaiverTable(az.target());
    expect((await table.history('ro-port')).map((c) => c.action)).toEqual(['put', 'put']);
    expect((await table.history('ro-port'))[0]?.by).toMatch(/^waivers import/);
    const toStdout = await runCli(['waivers', 'export', '-', ...storage()]);
    expect(toStdout.stdout).toBe(text);
  });

  it('a file with one bad entry writes nothing and exits 2 naming the file and the entry', async () => {
    const tooFar = GOOD.replace(`expires: ${inDays(10)}`, `expires: ${inDays(400)}`).replace('id: ro-port', 'id: new-one');
    const r = await runCli(['waivers', 'import', file('bad.yaml', tooFar), ...storage()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: waivers\[2\]\.expires: .* is more than WAIVER_MAX_DAYS \(365\) days ahead/);
    const table = createWaiverTable(az.target());
    expect(await table.get('new-one')).toBeNull();
    const dup = await runCli(['waivers', 'import', file('dup.yaml', GOOD.replace('  - check: 3.2.4', '  - id: ro-port\n    check: 3.2.4')), ...storage()]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('waivers[1].id: "ro-port" is also the id of waivers[0]');
    const strict = await runCli(['waivers', 'import', file('strict.yaml', GOOD), ...storage()], { env: { WAIVER_MAX_DAYS: '20' } });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/waivers\[0\]\.expires: .* more than WAIVER_MAX_DAYS \(20\)/);
    expect((await runCli(['waivers', 'import', join(dir, 'missing.yaml'), ...storage()])).stderr).toContain('no such waiver file');
    expect((await runCli(['waivers', 'list'])).code).toBe(2);
  });
});
