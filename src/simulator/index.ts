/** The ARM simulator: a local HTTPS Azure Resource Manager over a fleet spec, for the demo and tests. */
export type { RecordedRequest, RunningSimulator, SimulatorOptions } from './server.js';
export { CONTAINER_SERVICE_API_VERSIONS, RESOURCE_GRAPH_API_VERSIONS, SUBSCRIPTIONS_API_VERSIONS, startArmSimulator } from './server.js';
export type {
  ClusterExpectation,
  ClusterSpec,
  Fault,
  SubscriptionFault,
  FleetInput,
  FleetSpec,
  NodeProfile,
  OperationName,
  PoolSpec,
  SubscriptionSpec,
} from './fleet-spec.js';
export { NODE_PROFILES, OPERATIONS, fleetSpecSchema, parseFleetSpec } from './fleet-spec.js';
export { FAULT_SCENARIOS, GATEKEEPER_DENIAL, defaultDemoFleet, faultFleet } from './fleets.js';
export type { KubeBenchReportOptions } from './kube-bench-report.js';
export { AKS_NODE_PATHS } from './kube-bench-cfg.js';
export { benchmarkCheckIds, generateKubeBenchReport } from './kube-bench-report.js';
export { failingChecks, idsForTopic, profileFailing } from './node-profiles.js';
export type { NodeChoice, SimNode } from './nodes.js';
export { chooseNodes, nodeName, poolNodes } from './nodes.js';
export { RUN_COMMAND_OUTPUT_LIMIT, cutUtf8 } from './run-logs.js';
export { SIMULATOR_USAGE, runSimulatorCli } from './cli.js';
export type { BucketSpec, CommandResultBucket } from './throttle.js';
export { ARM_READS, ARM_WRITES, aksBucketOf } from './throttle.js';
