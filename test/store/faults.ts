/**
 * Fault injection as pipeline policies, placed per retry like the request counter. They stand in
 * for a worker that crashes or a service that throttles; every request they let through goes to Azurite.
 */
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { PipelinePolicy } from '../../src/store/counter.js';

const READ = new Set(['GET', 'HEAD']);

/** Lets `n` writes through, then fails every later write, as a process that died would. */
export function failAfterWrites(n: number): PipelinePolicy & { readonly writes: number } {
  let writes = 0;
  return {
    name: 'failAfterWrites',
    get writes(): number {
      return writes;
    },
    sendRequest(request, next) {
      if (!READ.has(request.method)) {
        writes++;
        if (writes > n) return Promise.reject(new Error(`injected failure at write ${writes}`));
      }
      return next(request);
    },
  };
}

/** Answers the first `times` requests itself with `status` and the given headers, then passes through. */
export function answerFirst(times: number, status: number, headers: Record<string, string>): PipelinePolicy & { readonly answered: number } {
  let answered = 0;
  return {
    name: 'answerFirst',
    get answered(): number {
      return answered;
    },
    async sendRequest(request, next) {
      if (answered < times) {
        answered++;
        return { request, status, headers: createHttpHeaders(headers), bodyAsText: '' };
      }
      return next(request);
    },
  };
}

/** Holds every request until it is aborted: a server that never answers. */
export function hang(): PipelinePolicy {
  return {
    name: 'hang',
    sendRequest(request) {
      return new Promise((_, reject) => {
        const signal = request.abortSignal;
        const fail = (): void => {
          const e = new Error('The operation was aborted.');
          e.name = 'AbortError';
          reject(e);
        };
        if (!signal) return;
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
    },
  };
}
