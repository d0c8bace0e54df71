/**
 * The HTTP API as plain functions: a request in, a response out. Azure Functions and the local
 * `serve` command are adapters that translate their own request objects into ApiRequest.
 */
import type { Store } from '../store/store.js';
import type { WaiverService } from '../waivers/service.js';

export interface ApiRequest {
  method: string;
  /** The path after /api, e.g. "/summary" or "/clusters/<sub>/<rg>/<name>"; percent-encoded segments are decoded here. */
  path: string;
  query: URLSearchParams;
  /** Header names in any case. */
  headers: Record<string, string>;
  /** Parsed JSON, a JSON string, raw bytes, or nothing. */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ApiDeps {
  store: Store;
  now: () => Date;
  /** The scan schedule's period: clusters not scanned for two periods are stale. */
  schedulePeriodMs: number;
  /** Starts a scan of the given clusters (ARM ids), or of the whole fleet with null; `missing`: given ids not found. */
  requestScan: (clusterIds: string[] | null) => Promise<{ runId: string; queued: number; missing: string[] }>;
  /** Optional features and why any is off ("off: TEAMS_WEBHOOK_URL is an unresolved Key Vault reference"), for GET /health. */
  features?: () => Record<string, string>;
  /** The waivers table and the effective waiver list; the waiver routes answer 503 without it. */
  waivers?: WaiverService;
  /** Where unexpected errors go (they are answered as a bare 500); default nowhere. */
  log?: (message: string, error: unknown) => void;
}

export type AuthLevel = 'anonymous' | 'function' | 'admin';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  /** Stable name, usable as a function name. */
  name: string;
  method: HttpMethod;
  /** Template after /api with {params}, e.g. "clusters/{subscriptionId}/{resourceGroup}/{name}". */
  route: string;
  authLevel: AuthLevel;
  summary: string;
}
