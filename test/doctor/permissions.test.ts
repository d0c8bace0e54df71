/** The permissions the doctor asks about are exactly those the shipped Role and ClusterRole grant. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SCAN_PERMISSIONS } from '../../src/doctor/permissions.js';
import { formatDoctorEnv, scanTools } from '../../src/doctor/request.js';
import { ROOT } from '../fixtures/paths.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('doctor permissions', () => {
  it('equal the grants of infra/kubernetes/aksfs-scanner-rbac.yaml (Role in the scan namespace, ClusterRole for nodes)', () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'infra', 'kubernetes', 'aksfs-scanner-rbac.yaml'), 'utf8')).map(
      (d) => d.toJS() as { kind: string; rules?: Rule[] },
    );
    const grants = (kind: string, scope: string): string[] =>
      (docs.find((d) => d.kind === kind)?.rules ?? []).flatMap((r) =>
        r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v}:${g ? `${res}.${g}` : res}:${scope}`))),
      );
    const granted = [...grants('Role', 'ns'), ...grants('ClusterRole', 'cluster')].sort();
    expect(SCAN_PERMISSIONS.map((p) => `${p.verb}:${p.resource}:${p.scope}`).sort()).toEqual(granted);
  });

  it("doctor.env carries them, and the tools are aksfs-scan.sh's own list", () => {
    expect(scanTools()).toEqual(expect.arrayContaining(['kubectl', 'jq', 'awk', 'mktemp']));
    expect(scanTools().length).toBeGreaterThan(5);
    const env = formatDoctorEnv({ namespace: 'aks-fleet-scanner', image: 'docker.io/aquasec/kube-bench:v0.15.6', doctorId: 'd1', waitSeconds: 90 });
    expect(env).toMatch(/^AKSFS_CAN_I=get:jobs\.batch:ns,.*,list:nodes:cluster$/m);
    expect(env).toMatch(/^AKSFS_TOOLS=kubectl,jq,/m);
    expect(() => formatDoctorEnv({ namespace: 'x', image: 'a b', doctorId: 'd1', waitSeconds: 1 })).toThrow(/AKSFS_IMAGE has characters outside/);
  });
});
