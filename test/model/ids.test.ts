import { describe, expect, it } from 'vitest';
import { parseClusterId } from '../../src/discover/cluster-ref.js';
import { CLUSTER_ID, GUID } from '../../src/model/ids.js';
import { WaiverScopeInputSchema } from '../../src/model/knowledge.js';
import { scanMessageSchema } from '../../src/pipeline/message.js';
import { cluster } from '../fixtures/clusters.js';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const id = (sub: string, rg = 'rg-prod', name = 'aks-prod-1') =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

const ids: [string, boolean][] = [
  [id(SUB), true],
  [id(SUB.toUpperCase()).toLowerCase(), true],
  [id(SUB, 'r'.repeat(90), 'n'.repeat(63)), true],
  [id('s1'), false],
  [id(SUB, 'r'.repeat(91)), false],
  [id(SUB, 'rg', 'n'.repeat(64)), false],
  [`${id(SUB)}/agentPools/system`, false],
  [id(SUB).replace('managedClusters', 'virtualMachines'), false],
];

describe('one GUID and one cluster-id pattern', () => {
  it('GUID takes subscription ids in either case and nothing else', () => {
    expect([SUB, SUB.toUpperCase()].every((s) => GUID.test(s))).toBe(true);
    expect(['', 's1', `${SUB}0`, SUB.slice(1), `{${SUB}}`].some((s) => GUID.test(s))).toBe(false);
  });

  it.each(ids)('%s: discovery, queue messages and waiver scopes all answer %s', (clusterId, valid) => {
    expect(CLUSTER_ID.test(clusterId)).toBe(valid);
    if (valid) expect(parseClusterId(clusterId).name).toBe(clusterId.split('/').pop());
    else expect(() => parseClusterId(clusterId)).toThrow(/not an AKS cluster resource id/);
    const message = { v: 1, runId: 'r', scanId: 's', cluster: cluster({ id: clusterId }) };
    expect(scanMessageSchema.safeParse(message).success).toBe(valid);
    const scope = WaiverScopeInputSchema.safeParse(clusterId);
    expect(scope.success && scope.data.kind === 'cluster').toBe(valid);
  });
});
