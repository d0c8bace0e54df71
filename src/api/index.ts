/**
 * The HTTP API over the results store, as plain functions. Adapters (Azure Functions, the local
 * `serve` command, tests) turn their request into an ApiRequest with the path after /api, call
 * handleApiRequest, and write the ApiResponse back. ROUTES lists every route with its authLevel.
 */
export { handleApiRequest } from './handler.js';
export { ROUTES } from './routes.js';
export { openApiDocument } from './openapi.js';
export { dashboardHtml } from './dashboard.js';
export type { ApiDeps, ApiRequest, ApiResponse, AuthLevel, HttpMethod, RouteSpec } from './types.js';
