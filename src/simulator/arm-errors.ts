/**
 * ARM error responses: `{"error":{"code","message"}}` with the status codes and codes ARM and the
 * AKS resource provider use. Messages follow the real ones where they are known.
 */
export interface ArmError {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export const armErrors = {
  unauthenticated: (): ArmError => ({
    status: 401,
    code: 'AuthenticationFailed',
    message: "Authentication failed. The 'Authorization' header is missing.",
  }),
  missingApiVersion: (): ArmError => ({
    status: 400,
    code: 'MissingApiVersionParameter',
    message: 'The api-version query parameter (?api-version=) is required for all requests.',
  }),
  invalidApiVersion: (v: string, resourceType: string, supported: readonly string[]): ArmError => ({
    status: 400,
    code: 'InvalidApiVersionParameter',
    message: `The api-version '${v}' is invalid. The supported versions for resource type '${resourceType}' are '${supported.join(',')}'.`,
  }),
  noRegisteredProvider: (v: string, resourceType: string, location: string, supported: readonly string[]): ArmError => ({
    status: 400,
    code: 'NoRegisteredProviderFound',
    message: `No registered resource provider found for location '${location}' and API version '${v}' for type '${resourceType}'. The supported api-versions are '${supported.join(', ')}'.`,
  }),
  subscriptionNotFound: (sub: string): ArmError => ({ status: 404, code: 'SubscriptionNotFound', message: `The subscription '${sub}' could not be found.` }),
  resourceGroupNotFound: (rg: string): ArmError => ({ status: 404, code: 'ResourceGroupNotFound', message: `Resource group '${rg}' could not be found.` }),
  clusterNotFound: (rg: string, name: string): ArmError => ({
    status: 404,
    code: 'ResourceNotFound',
    message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  }),
  commandNotFound: (id: string): ArmError => ({ status: 404, code: 'NotFound', message: `Command result '${id}' was not found.` }),
  pathNotFound: (path: string): ArmError => ({ status: 404, code: 'NotFound', message: `No route for '${path}' in the ARM simulator.` }),
  methodNotAllowed: (method: string): ArmError => ({
    status: 405,
    code: 'MethodNotAllowed',
    message: `The requested resource does not support http method '${method}'.`,
  }),
  badRequest: (code: string, message: string): ArmError => ({ status: 400, code, message }),
  authorizationFailed: (principal: string, action: string, scope: string): ArmError => ({
    status: 403,
    code: 'AuthorizationFailed',
    message: `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  }),
  /** Reference: run-command.md, "clusterToken is needed when aadProfile.managed is true". */
  missingClusterToken: (): ArmError => ({
    status: 400,
    code: 'MissingAADClusterToken',
    message:
      'Cluster token is required for AAD-enabled cluster: provide clusterToken, an Entra token for the AKS server application (6dae42f8-4368-4678-94ff-3960e28e3630).',
  }),
  /** Status inferred: the message is the real one (azure-cli #27776), the HTTP status is not documented. */
  kubernetesPerformance: (commandId: string): ArmError => ({
    status: 500,
    code: 'KubernetesPerformanceError',
    message: `Failed to run command due to cluster perf issue, container command-${commandId} in aks-command namespace did not start within 30s on your cluster, retry may helps. If issue persist, you may need to tune your cluster with better performance (larger node/paid tier).`,
  }),
  /** Status and code inferred: a stopped cluster accepts only start and delete. */
  clusterStopped: (name: string): ArmError => ({
    status: 409,
    code: 'OperationNotAllowed',
    message: `Managed cluster ${name} is in stopped state; only start and delete operations are allowed.`,
  }),
  runCommandDisabled: (name: string): ArmError => ({
    status: 400,
    code: 'OperationNotAllowed',
    message: `Run command is disabled on managed cluster ${name} (apiServerAccessProfile.disableRunCommand).`,
  }),
  notSucceeded: (name: string, state: string): ArmError => ({
    status: 409,
    code: 'OperationNotAllowed',
    message: `Operation is not allowed because managed cluster ${name} is in provisioning state '${state}'.`,
  }),
  armThrottled: (kind: 'read' | 'write', sub: string, seconds: number): ArmError => ({
    status: 429,
    code: 'SubscriptionRequestsThrottled',
    message: `Number of '${kind}' requests for subscription '${sub}' exceeded the limit. Please try again after '${seconds}' seconds.`,
    headers: { 'Retry-After': String(seconds) },
  }),
  rpThrottled: (seconds: number): ArmError => ({
    status: 429,
    code: 'Throttled',
    message: `The request was throttled by Microsoft.ContainerService. Please retry after ${seconds} seconds.`,
    headers: { 'Retry-After': String(seconds) },
  }),
  tooManyRequests: (seconds: number): ArmError => ({
    status: 429,
    code: 'TooManyRequests',
    message: `Too many requests. Please retry after ${seconds} seconds.`,
    headers: { 'Retry-After': String(seconds) },
  }),
  internal: (tracking: string): ArmError => ({
    status: 500,
    code: 'InternalServerError',
    message: `Encountered internal server error. Diagnostic information: tracking id '${tracking}'.`,
  }),
  unavailable: (seconds: number): ArmError => ({
    status: 503,
    code: 'ServiceUnavailable',
    message: 'The service is currently unavailable. Please try again later.',
    headers: { 'Retry-After': String(seconds) },
  }),
};
