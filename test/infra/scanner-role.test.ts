/**
 * The scanner's custom role, per subscription and per management group: exactly the four
 * actions of shared/reference/run-command.md "Permissions", no wildcard, assigned to the one
 * principal given. One test edits the Bicep source itself and recompiles, so the whole path
 * from .bicep to the check is shown to catch a widened role.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployTemplate, type ArmTemplate } from './arm-deploy.js';
import { BICEP, INFRA_DIR, SKIP_REASON, compileBicep } from './bicep.js';
import { SCANNER_ACTIONS, scannerRoleViolations } from './checks.js';

if (BICEP === undefined) console.warn(`[test/infra] skipped: ${SKIP_REASON}`);

const SUB = '00000000-0000-0000-0000-0000000000aa';
const SUB_SCOPE = { tenantId: 'tenant-0', subscriptionId: SUB, location: 'westeurope' };
const MG_SCOPE = { tenantId: 'tenant-0', managementGroup: 'platform', location: 'westeurope' };
const PRINCIPAL = '99999999-8888-7777-6666-555555555555';

describe.skipIf(BICEP === undefined)('infra/scanner-role.bicep and scanner-role-mg.bicep', () => {
  let sub: ArmTemplate;
  let mg: ArmTemplate;
  const tmp = mkdtempSync(join(tmpdir(), 'aksfs-bicep-'));

  beforeAll(async () => {
    [sub, mg] = await Promise.all([compileBicep(join(INFRA_DIR, 'scanner-role.bicep')), compileBicep(join(INFRA_DIR, 'scanner-role-mg.bicep'))]);
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('subscription: exactly the four actions, assignable to and assigned in that subscription only', () => {
    const d = deployTemplate(sub, { principalId: PRINCIPAL }, SUB_SCOPE);
    expect(scannerRoleViolations(d, { principalId: PRINCIPAL, scopeId: `/subscriptions/${SUB}` })).toEqual([]);
    expect(d.resources.find((r) => r.type === 'Microsoft.Authorization/roleAssignments')?.id).toMatch(
      new RegExp(`^/subscriptions/${SUB}/providers/Microsoft\\.Authorization/roleAssignments/`),
    );
  });

  it('management group: the same four actions, assignable to the management group', () => {
    const d = deployTemplate(mg, { principalId: PRINCIPAL }, MG_SCOPE);
    expect(scannerRoleViolations(d, { principalId: PRINCIPAL, scopeId: '/providers/Microsoft.Management/managementGroups/platform' })).toEqual([]);
  });

  it('role names differ per subscription, since custom role names are unique per tenant', () => {
    const name = (s: string): unknown =>
      (deployTemplate(sub, { principalId: PRINCIPAL }, { ...SUB_SCOPE, subscriptionId: s }).resources[0]?.properties as Record<string, unknown>)['roleName'];
    expect(name('sub-1')).not.toBe(name('sub-2'));
  });

  it('redeploying is idempotent: the same role and assignment names for the same inputs', () => {
    const ids = (): string[] => deployTemplate(sub, { principalId: PRINCIPAL }, SUB_SCOPE).resources.map((r) => r.id);
    expect(ids()).toEqual(ids());
  });

  it('the principal id is required', () => {
    expect(() => deployTemplate(sub, {}, SUB_SCOPE)).toThrow(/principalId is required/);
  });

  it('catches a role widened in the compiled template: a wildcard, an extra action, a data action', () => {
    const variants: ((t: ArmTemplate) => void)[] = [
      (t) => (t.variables as Record<string, string[]>)['scannerActions']?.push('Microsoft.ContainerService/*'),
      (t) => (t.variables as Record<string, string[]>)['scannerActions']?.push('Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'),
      (t) => (t.variables as Record<string, string[]>)['scannerActions']?.pop(),
      (t) => {
        const def = (t.resources as { properties: { permissions: Record<string, unknown>[] } }[])[0];
        const perm = def?.properties.permissions[0];
        if (perm) perm['dataActions'] = ['Microsoft.ContainerService/managedClusters/pods/read'];
      },
    ];
    for (const mutate of variants) {
      const t = structuredClone(sub);
      mutate(t);
      const d = deployTemplate(t, { principalId: PRINCIPAL }, SUB_SCOPE);
      expect(scannerRoleViolations(d, { principalId: PRINCIPAL, scopeId: `/subscriptions/${SUB}` })).not.toEqual([]);
    }
  });

  it('catches a wildcard added to the Bicep source, end to end through the compiler', async () => {
    const src = readFileSync(join(INFRA_DIR, 'scanner-role.bicep'), 'utf8');
    const widened = src.replace(
      "'Microsoft.Resources/subscriptions/read'",
      "'Microsoft.Resources/subscriptions/read'\n  'Microsoft.ContainerService/managedClusters/*'",
    );
    expect(widened).not.toBe(src);
    writeFileSync(join(tmp, 'scanner-role.bicep'), widened);
    copyFileSync(join(INFRA_DIR, 'bicepconfig.json'), join(tmp, 'bicepconfig.json'));
    const d = deployTemplate(await compileBicep(join(tmp, 'scanner-role.bicep')), { principalId: PRINCIPAL }, SUB_SCOPE);
    const v = scannerRoleViolations(d, { principalId: PRINCIPAL, scopeId: `/subscriptions/${SUB}` });
    expect(v).toContain('wildcard action Microsoft.ContainerService/managedClusters/*');
  });

  // shared/ sits beside the checkout on developer machines and in CI.
  const RUN_COMMAND_DOC = join(INFRA_DIR, '..', '..', 'shared', 'reference', 'run-command.md');
  it.skipIf(!existsSync(RUN_COMMAND_DOC))('the expected action list is the one shared/reference/run-command.md documents', () => {
    const doc = readFileSync(RUN_COMMAND_DOC, 'utf8');
    for (const a of ['managedClusters/read', 'runCommand/action', 'commandResults/read', 'Microsoft.Resources/subscriptions/read']) {
      expect(doc).toContain(a);
    }
    expect(SCANNER_ACTIONS.length).toBe(4);
  });
});
