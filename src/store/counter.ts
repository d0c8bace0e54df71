/**
 * Counts the HTTP requests the table clients send, as a pipeline policy placed per retry, so that
 * every attempt counts, retries included. The benchmark `store.table_requests_per_cluster` and the
 * request-budget test read this counter.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';

/** The pipeline policy type, taken from the client options so we need no direct core-rest-pipeline import. */
export type PipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];
export type AdditionalPolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number];

export interface RequestCounter {
  /** Requests sent since creation or the last reset. */
  readonly total: number;
  /** Per "METHOD table" (e.g. "POST $batch", "GET aksfsClusters"). */
  readonly byKind: Readonly<Record<string, number>>;
  reset(): void;
  /** The policy to add to a client's pipeline. */
  readonly policy: PipelinePolicy;
}

/** The table name in a Table Storage URL path: /table, /table(PK='..',RK='..'), /$batch, /Tables. */
export function tableOfUrl(url: string): string {
  const path = new URL(url).pathname.split('/').filter(Boolean);
  // Azurite and other path-style endpoints put the account first.
  const last = path[path.length - 1] ?? '';
  return decodeURIComponent(last.replace(/\(.*$/, '')) || '/';
}

export function createRequestCounter(): RequestCounter {
  let total = 0;
  let byKind: Record<string, number> = {};
  return {
    get total(): number {
      return total;
    },
    get byKind(): Readonly<Record<string, number>> {
      return byKind;
    },
    reset(): void {
      total = 0;
      byKind = {};
    },
    policy: {
      name: 'aksfsRequestCounter',
      sendRequest(request, next) {
        total++;
        const kind = `${request.method} ${tableOfUrl(request.url)}`;
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        return next(request);
      },
    },
  };
}
