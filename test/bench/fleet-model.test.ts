/** The fleet bench's arithmetic: bucket time, the floor, busy time, the projection and today's invocation. */
import { describe, expect, it } from 'vitest';
import { bucketSeconds, floorOf, project, subscriptionBuckets, todaysInvocationSeconds, unionMs } from '../../bench/fleet/model.js';
import type { RecordedRequest } from '../../src/simulator/index.js';

const req = (subscriptionId: string, method: string, operation: RecordedRequest['operation'], status = 200): RecordedRequest => ({
  method,
  path: '/',
  apiVersion: null,
  status,
  operation,
  time: 0,
  subscriptionId,
  clusterId: null,
  errorCode: null,
  fault: null,
});

describe('fleet bench model', () => {
  it('a bucket admits its burst at once, then one request per refill', () => {
    expect(bucketSeconds(60, { capacity: 60, perSecond: 1 })).toBe(0);
    expect(bucketSeconds(160, { capacity: 60, perSecond: 1 })).toBe(100);
    expect(bucketSeconds(600, { capacity: 200, perSecond: 2 })).toBe(200);
  });

  it('counts admitted requests per subscription and bucket; 429s take no token', () => {
    const requests = [
      ...Array.from({ length: 100 }, () => req('A', 'POST', 'ManagedClusters_RunCommand', 202)),
      ...Array.from({ length: 50 }, () => req('A', 'GET', 'ManagedClusters_GetCommandResult')),
      ...Array.from({ length: 30 }, () => req('A', 'POST', 'ManagedClusters_RunCommand', 429)),
      ...Array.from({ length: 70 }, () => req('B', 'POST', 'ManagedClusters_RunCommand', 202)),
    ];
    const strict = subscriptionBuckets(requests, 'other');
    const a = strict.find((s) => s.subscriptionId === 'a')!;
    expect(a.counts['aks-other']!.n).toBe(150);
    expect(a.counts['arm-writes']!.n).toBe(100);
    expect(a.slowest).toEqual({ bucket: 'aks-other', seconds: 90 });
    expect(strict.find((s) => s.subscriptionId === 'b')!.slowest).toEqual({ bucket: 'aks-other', seconds: 10 });
    const lenient = subscriptionBuckets(requests, 'operation-status').find((s) => s.subscriptionId === 'a')!;
    expect(lenient.counts['aks-op']!.n).toBe(50);
    expect(lenient.slowest).toEqual({ bucket: 'aks-other', seconds: 40 });
  });

  it('the floor is the larger of buckets plus a command (scaled) and CPU per worker', () => {
    expect(floorOf(90, 60, 5, 40, 4)).toEqual({ buckets: 30, cpu: 10, value: 30 });
    expect(floorOf(0, 60, 10, 80, 4)).toEqual({ buckets: 6, cpu: 20, value: 20 });
  });

  it('busy time is the union of overlapping invocations', () => {
    expect(unionMs([])).toBe(0);
    expect(
      unionMs([
        [0, 10],
        [5, 20],
        [30, 40],
        [35, 36],
      ]),
    ).toBe(30);
  });

  it('projects the slowest of buckets, CPU and slots', () => {
    const p = project({
      clusters: 10_000,
      subscriptions: 100,
      requestsPerCluster: { 'aks-other': { perCluster: 2, spec: { capacity: 60, perSecond: 1 } } },
      commandSeconds: 60,
      cpuSecondsPerCluster: 0.1,
      busySecondsPerCluster: 0.5,
      instances: 10,
      perInstance: 10,
    });
    expect(p.bucketMinutes).toBeCloseTo((200 - 60 + 60) / 60);
    expect(p.cpuMinutes).toBeCloseTo(1000 / 10 / 60);
    expect(p.slotMinutes).toBeCloseTo(5000 / 100 / 60);
    expect(p.minutes).toBe(p.bucketMinutes);
  });

  it("today's invocation ends at the first poll after the command: 20 s, then every 5 s", () => {
    expect(todaysInvocationSeconds(12)).toBe(20);
    expect(todaysInvocationSeconds(60)).toBe(60);
    expect(todaysInvocationSeconds(61)).toBe(65);
  });
});
