import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_IMAGE,
  ENV_FILE,
  JOB_TEMPLATE_FILE,
  NODES_FILE,
  RUN_COMMAND,
  SCRIPT_FILE,
  scanEnvFromContext,
  unzipContext,
} from '../../../src/scan/incluster/contract.js';
import { buildRunCommandRequest, jobTemplate, nodesProgram, scanScript } from '../../../src/scan/incluster/request.js';
import { DEFAULT_JOB_TIMEOUT_SECONDS } from '../../../src/scan/plan.js';
import { buildDoctorRequest } from '../../../src/doctor/request.js';
import { scanEnv } from './harness.js';
import { parsedTemplate } from './job-command.js';

const src = (f: string): string => readFileSync(new URL(`../../../src/scan/incluster/${f}`, import.meta.url), 'utf8');

describe('buildRunCommandRequest', () => {
  it('round-trips the scan settings through the context, as the ARM simulator reads them', () => {
    for (const env of [
      scanEnv(),
      scanEnv({
        selection: 'all',
        pools: ['a1', 'b2', 'c3'],
        batchIndex: 7,
        batchSize: 25,
        jobTimeoutSeconds: 200,
        image: 'myacr.azurecr.io/kube-bench:v0.15.6',
      }),
    ]) {
      const req = buildRunCommandRequest(env);
      expect(req.command).toBe(RUN_COMMAND);
      expect(scanEnvFromContext(req.context)).toEqual(env);
    }
  });

  it('ships the script and the Job template byte for byte', () => {
    const files = unzipContext(buildRunCommandRequest(scanEnv()).context);
    expect(Object.keys(files).sort()).toEqual([ENV_FILE, JOB_TEMPLATE_FILE, NODES_FILE, SCRIPT_FILE].sort());
    expect(files[NODES_FILE]).toBe(src('aksfs-nodes.jq'));
    expect(files[SCRIPT_FILE]).toBe(src('aksfs-scan.sh'));
    expect(files[JOB_TEMPLATE_FILE]).toBe(src('aksfs-job.yaml'));
    expect(scanScript()).toBe(src('aksfs-scan.sh'));
    expect(jobTemplate()).toBe(src('aksfs-job.yaml'));
  });

  it('gives the node choice one source: both in-cluster scripts run aksfs-nodes.jq and hold no copy of it', () => {
    for (const script of ['aksfs-scan.sh', 'aksfs-doctor.sh']) {
      expect(src(script)).toContain('jq -r -f "$here/aksfs-nodes.jq" "$work/nodes.json"');
      expect(src(script)).not.toContain('virtual-kubelet")');
      expect(src(script)).not.toContain('karpenter.sh/nodepool"]');
    }
    expect(nodesProgram()).toContain('"virtual-kubelet"');
  });

  it('keeps the context small', () => {
    const { context } = buildRunCommandRequest(scanEnv({ pools: Array.from({ length: 20 }, (_, i) => `pool${i}`) }));
    console.log(`run-command context: ${context.length} base64 characters (${Buffer.from(context, 'base64').length} bytes of zip)`);
    // A guard against bundling more than the script, the template and scan.env (e.g. kube-bench's cfg).
    expect(context.length).toBeLessThan(20_000);
  });

  it('passes the cluster token only when given', () => {
    expect(buildRunCommandRequest(scanEnv())).not.toHaveProperty('clusterToken');
    expect(buildRunCommandRequest(scanEnv(), { clusterToken: 'eyJ0eXAi.test' }).clusterToken).toBe('eyJ0eXAi.test');
  });

  it('refuses settings the script would refuse, naming the field', () => {
    expect(() => buildRunCommandRequest(scanEnv({ namespace: 'Kube_Bench' }))).toThrow(/namespace "Kube_Bench"/);
    expect(() => buildRunCommandRequest(scanEnv({ pools: ['Sys Pool'] }))).toThrow(/pool "Sys Pool"/);
    expect(() => buildRunCommandRequest(scanEnv({ scanId: 'Scan_1' }))).toThrow(/scanId "Scan_1"/);
    expect(() => buildRunCommandRequest(scanEnv({ scanId: 'x'.repeat(41) }))).toThrow(/scanId/);
    expect(() => buildRunCommandRequest(scanEnv({ selection: 'all', batchSize: 0 }))).toThrow(/batchSize/);
    expect(() => buildRunCommandRequest(scanEnv({ jobTimeoutSeconds: 0 }))).toThrow(/jobTimeoutSeconds/);
    expect(() => buildRunCommandRequest(scanEnv({ image: 'evil;rm -rf /' }))).toThrow(/AKSFS_IMAGE/);
  });
});

/** Each entry's "version made by" host and external attributes, read from the zip's central directory. */
function zipModes(b64: string): Record<string, { host: number; mode: number }> {
  const buf = Buffer.from(b64, 'base64');
  const out: Record<string, { host: number; mode: number }> = {};
  for (let i = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) {
    const nameLen = buf.readUInt16LE(i + 28);
    const name = buf.subarray(i + 46, i + 46 + nameLen).toString();
    out[name] = { host: buf.readUInt8(i + 5), mode: buf.readUInt32LE(i + 38) >>> 16 };
  }
  return out;
}

describe('the context zip', () => {
  it('gives every entry an explicit Unix mode: 0755 for the script, 0644 for the rest', () => {
    const modes = zipModes(buildRunCommandRequest(scanEnv()).context);
    expect(Object.keys(modes).sort()).toEqual(['aksfs-job.yaml', 'aksfs-nodes.jq', 'aksfs-scan.sh', 'scan.env']);
    expect(modes['aksfs-nodes.jq']?.mode).toBe(0o100644);
    for (const m of Object.values(modes)) expect(m.host).toBe(3);
    expect(modes['aksfs-scan.sh']?.mode).toBe(0o100755);
    expect(modes['aksfs-job.yaml']?.mode).toBe(0o100644);
    expect(modes['scan.env']?.mode).toBe(0o100644);
  });
});

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;

describe.skipIf(!hasUnzip)('the context zip, read by Info-ZIP unzip (an unzipper other than the one we test with)', () => {
  it('passes its integrity test and extracts every file byte for byte, the script executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksfs-unzip-'));
    try {
      for (const [name, context] of [
        ['scan', buildRunCommandRequest(scanEnv()).context],
        ['doctor', buildDoctorRequest({ namespace: 'aks-fleet-scanner', image: DEFAULT_IMAGE, doctorId: 'd1', waitSeconds: 9 }).context],
      ] as const) {
        const zip = join(dir, `${name}.zip`);
        writeFileSync(zip, Buffer.from(context, 'base64'));
        const tested = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' });
        expect(tested.stdout).toMatch(/No errors detected/);
        const out = join(dir, name);
        expect(spawnSync('unzip', ['-q', zip, '-d', out]).status).toBe(0);
        const files = unzipContext(context);
        for (const [file, body] of Object.entries(files)) {
          expect(readFileSync(join(out, file), 'utf8')).toBe(body);
          expect(statSync(join(out, file)).mode & 0o777).toBe(file.endsWith('.sh') ? 0o755 : 0o644);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Job template', () => {
  const t = parsedTemplate();
  const pod = t.spec.template.spec;
  const container = pod.containers[0];

  it('has exactly the hostPID and read-only host mounts of kube-bench’s own job-aks.yaml', () => {
    const upstream = parse(readFileSync(new URL('../../../third_party/kube-bench/job-aks.yaml', import.meta.url), 'utf8')) as ReturnType<typeof parsedTemplate>;
    const upPod = upstream.spec.template.spec;
    expect(pod.hostPID).toBe(upPod.hostPID);
    const hostVolumes = pod.volumes.filter((v) => v.hostPath);
    expect(hostVolumes).toEqual(upPod.volumes);
    const hostMounts = container?.volumeMounts.filter((m) => hostVolumes.some((v) => v.name === m.name));
    expect(hostMounts).toEqual(upPod.containers[0]?.volumeMounts);
    for (const m of hostMounts ?? []) expect(m.readOnly).toBe(true);
  });

  it('is a one-shot, bounded, unprivileged Job that runs on any pool', () => {
    expect(t.spec.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
    expect(t.spec.activeDeadlineSeconds).toBe('__AKSFS_DEADLINE__');
    expect(t.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    // The script fills in exactly the node's taints; never a wildcard.
    expect(pod.tolerations).toBe('__AKSFS_TOLERATIONS__');
    expect(container?.image).toBe('__AKSFS_IMAGE__');
    expect(container?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, privileged: false, allowPrivilegeEscalation: false });
    expect(container?.resources.requests).toHaveProperty('cpu');
    expect(container?.resources.requests).toHaveProperty('memory');
    expect(container?.resources.limits).toHaveProperty('memory');
    expect(t.metadata.labels).toMatchObject({ 'aksfs.io/scan': '__AKSFS_SCAN_ID__', 'aksfs.io/node': '__AKSFS_NODE__', 'aksfs.io/pool': '__AKSFS_POOL__' });
    expect(t.spec.template.metadata.labels).toMatchObject(t.metadata.labels);
  });

  it('keeps finished Jobs long enough for a late second command, and the sweep of old Jobs waits until Kubernetes had its turn', () => {
    const ttl = t.spec.ttlSecondsAfterFinished;
    // A redelivered message comes back 10 minutes after its worker died (the host's lease), after a command of up to ~5.
    expect(ttl).toBeGreaterThanOrEqual(15 * 60);
    const leftoverAge = Number(/^leftover_age="\$\{AKSFS_LEFTOVER_AGE:-(\d+)\}"$/m.exec(scanScript())?.[1]);
    // A Job lives its deadline (the script's budget + 30 s) and then its TTL; the sweep only takes older ones.
    expect(leftoverAge).toBeGreaterThan(DEFAULT_JOB_TIMEOUT_SECONDS + 30 + ttl);
  });

  it('defaults to the pinned kube-bench release', () => {
    expect(DEFAULT_IMAGE).toMatch(/:v0\.15\.6$/);
    expect(scanScript()).toContain(`AKSFS_IMAGE:-${DEFAULT_IMAGE}}`);
  });
});
