/**
 * The fleet the simulator serves: subscriptions, clusters, node pools, what each node's
 * kube-bench run finds, and the faults to inject. A JSON file in this shape drives the demo
 * (examples/fleets/demo.json) and the tests; zod checks it so a typo fails loudly at start.
 */
import { z } from 'zod';
import { OUTCOME_KINDS } from '../model/cluster.js';
import { InputError } from '../model/errors.js';
import { HOSTILE_CASES } from './hostile.js';

/** ARM operations as the simulator names them in its request log and in fault targets. */
export const OPERATIONS = [
  'Subscriptions_List',
  'Subscriptions_Get',
  'ManagedClusters_List',
  'ManagedClusters_ListByResourceGroup',
  'ManagedClusters_Get',
  'ManagedClusters_RunCommand',
  'ManagedClusters_GetCommandResult',
  'Resources_Query',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

const operation = z.enum(OPERATIONS);
/** How many matching requests a fault hits before it stops; omitted means every one. */
const times = z.number().int().positive().optional();

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case GUID');

export const NODE_PROFILES = ['aks-default', 'hardened', 'drifted'] as const;
export type NodeProfile = (typeof NODE_PROFILES)[number];

const nodeStatus = z.object({
  /** The status our Job script prints for nodes it could not scan. */
  status: z.enum(['unschedulable', 'admission-denied', 'image-pull', 'not-started', 'timeout', 'failed', 'forbidden', 'no-output']),
  reason: z.string().optional(),
  /** How many of the pool's Ready nodes (first by name) are affected; all when omitted. */
  nodes: z.number().int().positive().optional(),
});

const pool = z.object({
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'must be 1-12 lower-case letters or digits, starting with a letter (AKS pool name rules)'),
  osType: z.enum(['Linux', 'Windows']).default('Linux'),
  osSKU: z.string().optional(),
  mode: z.enum(['System', 'User']).default('User'),
  count: z.number().int().min(0).max(1000),
  vmSize: z.string().default('Standard_D4ds_v5'),
  nodeImageVersion: z.string().optional(),
  orchestratorVersion: z.string().optional(),
  provisioningState: z.string().default('Succeeded'),
  powerState: z.enum(['Running', 'Stopped']).default('Running'),
  /** A named set of failing checks, per benchmark; see node-profiles.ts. */
  profile: z.enum(NODE_PROFILES).default('aks-default'),
  /** Extra check ids that fail, for every benchmark, or per benchmark ({"aks-1.8": ["3.2.4"]}). */
  failing: z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]).default([]),
  /** The first N nodes (by name) are NotReady; the scan script leaves NotReady nodes out. */
  notReady: z.number().int().min(0).default(0),
  nodeStatus: nodeStatus.optional(),
  /**
   * A Karpenter NodePool (node auto-provisioning, AKS Automatic): its nodes carry
   * karpenter.sh/nodepool instead of kubernetes.azure.com/agentpool, and ARM does not list it.
   */
  karpenter: z.boolean().default(false),
});

/**
 * An admission policy that denies pods with hostPID or hostPath volumes outside its excluded
 * namespaces, as Azure Policy's baseline initiative in Deny mode and Deployment Safeguards in
 * Enforce mode (AKS Automatic) do; Gatekeeper answers for both.
 */
const admission = z.object({
  policy: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]*$/)
    .default('azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb'),
  denies: z
    .array(z.enum(['hostPID', 'hostPath']))
    .min(1)
    .default(['hostPID', 'hostPath']),
  excludedNamespaces: z.array(z.string()).default(['kube-system', 'gatekeeper-system', 'azure-arc']),
});

const fault = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('throttle'), operation: operation.optional(), times }),
  z.object({ kind: z.literal('server-error'), status: z.union([z.literal(500), z.literal(503)]), operation: operation.optional(), times }),
  z.object({ kind: z.literal('reset'), operation: operation.optional(), times }),
  /** Listed, but gone by the time it is read or run on: 404 ResourceNotFound. */
  z.object({ kind: z.literal('deleted') }),
  z.object({ kind: z.literal('forbidden'), operation: operation.default('ManagedClusters_RunCommand') }),
  /** The POST fails: the command pod did not start within 30 s (KubernetesPerformanceError). */
  z.object({ kind: z.literal('not-started'), times }),
  /**
   * The POST is accepted (202) but the command pod never starts, so GET commandResults answers 404
   * (support article "resolve-az-aks-command-invoke-failures": retry).
   */
  z.object({ kind: z.literal('result-not-found'), times }),
  /** The command could not run: provisioningState failed with this reason (ImagePullBackoff, an admission denial). */
  z.object({ kind: z.literal('command-failed'), reason: z.string().min(1) }),
  z.object({ kind: z.literal('exit-code'), exitCode: z.number().int().min(1).max(255) }),
  z.object({ kind: z.literal('garbage-logs') }),
  /** Logs cut inside an envelope, at this fraction of their length. */
  z.object({ kind: z.literal('truncated-logs'), at: z.number().gt(0).lt(1).default(0.6) }),
  /** Logs padded with chatter past run-command's 512 kB cap, so the cap cuts them. */
  z.object({ kind: z.literal('oversize-logs') }),
  /** The cluster's owner crafts the command output (hostile.ts). */
  z.object({ kind: z.literal('hostile'), case: z.enum(HOSTILE_CASES) }),
  /** The command takes this long (before jitter), e.g. to outlast the scanner's deadline. */
  z.object({ kind: z.literal('slow'), durationMs: z.number().int().min(0) }),
]);
export type Fault = z.infer<typeof fault>;

const expectation = z.object({
  kind: z.enum(OUTCOME_KINDS),
  reason: z.string().optional(),
  /** Node failure statuses a scanned cluster should report (e.g. "unschedulable", "truncated"). */
  nodeFailures: z.array(z.string()).optional(),
  /** Why this is the expected outcome, for a test's failure message. */
  note: z.string().optional(),
});

const cluster = z.object({
  subscriptionId: uuid,
  resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, 'must be a valid resource group name'),
  name: z.string().regex(/^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]?$/, 'must be a valid AKS cluster name'),
  location: z.string().default('eastus'),
  kubernetesVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'must look like 1.31 or 1.31.2'),
  pools: z.array(pool).min(1),
  aad: z
    .object({ managed: z.boolean().default(true), enableAzureRbac: z.boolean().default(false), adminGroupObjectIDs: z.array(z.string()).default([]) })
    .optional(),
  private: z.boolean().default(false),
  powerState: z.enum(['Running', 'Stopped']).default('Running'),
  runCommandDisabled: z.boolean().default(false),
  provisioningState: z.string().default('Succeeded'),
  tags: z.record(z.string(), z.string()).default({}),
  faults: z.array(fault).default([]),
  admission: admission.optional(),
  /**
   * Kubernetes permissions the scanner's identity lacks in the cluster, as `kubectl auth can-i`
   * names them ("create jobs.batch", "list nodes"): the in-cluster calls that need them are refused.
   */
  rbacDenied: z.array(z.string().regex(/^[a-z]+ [a-z./]+$/, 'must be "<verb> <resource>", e.g. "list nodes"')).default([]),
  /** nodeProvisioningProfile.mode Auto (node auto-provisioning); sku Automatic for AKS Automatic. */
  nodeProvisioning: z.enum(['Manual', 'Auto', 'Automatic']).default('Manual'),
  /** What a correct scanner should end this cluster's scan with (faultFleet fills it in). */
  expect: expectation.optional(),
});

/** Faults on every request scoped to a subscription (its cluster lists included), or on one operation. */
const subscriptionFault = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('throttle'), operation: operation.optional(), times }),
  z.object({ kind: z.literal('server-error'), status: z.union([z.literal(500), z.literal(503)]), operation: operation.optional(), times }),
  z.object({ kind: z.literal('reset'), operation: operation.optional(), times }),
  /** The caller may not read this subscription's clusters: 403 AuthorizationFailed. */
  z.object({ kind: z.literal('forbidden'), operation: operation.optional(), times }),
]);
export type SubscriptionFault = z.infer<typeof subscriptionFault>;

const subscription = z.object({
  subscriptionId: uuid,
  displayName: z.string().min(1),
  state: z.enum(['Enabled', 'Disabled', 'Warned', 'PastDue', 'Deleted']).default('Enabled'),
  tags: z.record(z.string(), z.string()).default({}),
  faults: z.array(subscriptionFault).default([]),
});

export const fleetSpecSchema = z
  .object({
    tenantId: uuid.default('72f988bf-86f1-41af-91ab-2d7cd011db47'),
    subscriptions: z.array(subscription).min(1),
    clusters: z.array(cluster),
    /** Faults at seeded random rates on every request (0..1 each). */
    randomFaults: z
      .object({ throttle: z.number().min(0).max(1).default(0), serverError: z.number().min(0).max(1).default(0), reset: z.number().min(0).max(1).default(0) })
      .optional(),
  })
  .superRefine((f, ctx) => {
    const subs = new Set(f.subscriptions.map((s) => s.subscriptionId));
    const seen = new Set<string>();
    f.clusters.forEach((c, i) => {
      if (!subs.has(c.subscriptionId)) {
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'subscriptionId'], message: `subscription ${c.subscriptionId} is not in "subscriptions"` });
      }
      const key = `${c.subscriptionId}/${c.resourceGroup}/${c.name}`.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster ${c.resourceGroup}/${c.name}` });
      seen.add(key);
      const pools = new Set<string>();
      c.pools.forEach((p, j) => {
        if (pools.has(p.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'pools', j, 'name'], message: `duplicate pool ${p.name}` });
        pools.add(p.name);
      });
    });
  });

export type FleetSpec = z.infer<typeof fleetSpecSchema>;
export type FleetInput = z.input<typeof fleetSpecSchema>;
export type ClusterSpec = FleetSpec['clusters'][number];
export type PoolSpec = ClusterSpec['pools'][number];
export type SubscriptionSpec = FleetSpec['subscriptions'][number];
export type ClusterExpectation = z.infer<typeof expectation>;
export type AdmissionSpec = z.infer<typeof admission>;

/** Validates a fleet; the InputError names the input and the first few problems with their paths. */
export function parseFleetSpec(json: unknown, inputName: string): FleetSpec {
  const r = fleetSpecSchema.safeParse(json);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  const more = r.error.issues.length > 5 ? ` (and ${r.error.issues.length - 5} more)` : '';
  throw new InputError(inputName, `not a valid fleet spec: ${problems.join('; ')}${more}`);
}
