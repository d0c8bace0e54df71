/** The scan steps' records in the Runs table (Azurite): command ids, batch outputs, learned durations, pruning. */
import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();
const cmd = (batch: number, attempt: number, units: number) => ({
  batch,
  attempt,
  commandId: `c${batch}a${attempt}`,
  postedAt: '2026-11-30T00:00:00.000Z',
  units,
});

describe('step records (Azurite)', () => {
  it('keeps the latest attempt per batch, per scan; a second attempt replaces the first', async () => {
    const store = await az.store();
    const key = { runId: 'run-a', scanId: 'run-a-0' };
    await store.steps.recordCommand(key, cmd(0, 1, 2));
    await store.steps.recordCommand(key, cmd(1, 1, 2));
    await store.steps.recordCommand(key, cmd(0, 2, 2));
    await store.steps.recordCommand({ runId: 'run-a', scanId: 'run-a-1' }, cmd(0, 1, 3));
    const got = (await store.steps.commands(key)).sort((a, b) => a.batch - b.batch);
    expect(got.map((c) => [c.batch, c.attempt, c.commandId])).toEqual([
      [0, 2, 'c0a2'],
      [1, 1, 'c1a1'],
    ]);
  });

  it('keeps a batch output of up to run-command’s 512 kB whole', async () => {
    const store = await az.store();
    const key = { runId: 'run-o', scanId: 'run-o-0' };
    const logs = Array.from({ length: 512 * 16 }, (_, i) => `line ${i} ${(i * 7919).toString(36)}\n`)
      .join('')
      .slice(0, 512 * 1024);
    await store.steps.saveOutput(key, 1, { logs, exitCode: 3 });
    const out = await store.steps.outputs(key, [0, 1]);
    expect([...out.keys()]).toEqual([1]);
    expect(out.get(1)).toEqual({ logs, exitCode: 3 });
  });

  it('learns each run’s first-poll durations from the previous run’s finished commands (90th percentile per batch size)', async () => {
    const store = await az.store();
    expect(await store.steps.learn('run-1')).toEqual({});
    for (let i = 0; i < 10; i++) {
      const key = { runId: 'run-1', scanId: `run-1-${i}` };
      await store.steps.recordCommand(key, cmd(0, 1, 2));
      await store.steps.commandDone(key, cmd(0, 1, 2), 30_000 + i * 1000);
    }
    // A command that never finished teaches nothing.
    await store.steps.recordCommand({ runId: 'run-1', scanId: 'run-1-x' }, cmd(0, 1, 2));
    expect(await store.steps.learn('run-2')).toEqual({ '2': 38_000 });
    // Asked again for the same run (a timer retried): the same answer, not learned twice.
    expect(await store.steps.learn('run-2')).toEqual({ '2': 38_000 });
    // A run without finished commands keeps what was learned.
    expect(await store.steps.learn('run-3')).toEqual({ '2': 38_000 });
  });

  it('the recorded step only moves forward: inserted once, written on what was read, a lost race keeps the step further on', async () => {
    const store = await az.store();
    const key = { runId: 'run-s', scanId: 'run-s-0' };
    expect(await store.steps.lastStep(key)).toBeNull();
    // Two first messages (a duplicate) both read nothing: the second insert loses and keeps the first.
    expect(await store.steps.markStep(key, { seq: 1, messageId: 'a' }, null)).toEqual({ seq: 1, messageId: 'a' });
    expect(await store.steps.markStep(key, { seq: 1, messageId: 'b' }, null)).toMatchObject({ seq: 1, messageId: 'a' });
    const read = (await store.steps.lastStep(key))!;
    // Two workers read step 1; step 3 is written first, then step 2 on the stale read: step 3 stays.
    await store.steps.markStep(key, { seq: 3, messageId: 'c' }, read);
    expect(await store.steps.markStep(key, { seq: 2, messageId: 'd' }, read)).toMatchObject({ seq: 3, messageId: 'c' });
    expect(await store.steps.lastStep(key)).toMatchObject({ seq: 3, messageId: 'c' });
    // The terminal mark on a stale read still lands (it is further on than any step), and nothing moves it back.
    expect(await store.steps.markStep(key, { seq: 2, done: true }, read)).toEqual({ seq: 2, done: true });
    expect(await store.steps.markStep(key, { seq: 4, messageId: 'e' }, await store.steps.lastStep(key))).toMatchObject({ done: true });
    expect(await store.steps.lastStep(key)).toMatchObject({ seq: 2, done: true });
  });

  it('pruning a run deletes its step records', async () => {
    const store = await az.store();
    await store.startRun({ runId: 'old', trigger: 'timer', startedAt: '2026-01-01T00:00:00Z', queued: 1 });
    await store.steps.recordCommand({ runId: 'old', scanId: 'old-0' }, cmd(0, 1, 1));
    await store.steps.saveOutput({ runId: 'old', scanId: 'old-0' }, 0, { logs: 'x', exitCode: 0 });
    const r = await store.pruneHistory(new Date('2026-11-30T00:00:00Z'), 30);
    expect(r.runsDeleted).toBe(1);
    expect(await store.steps.commands({ runId: 'old', scanId: 'old-0' })).toEqual([]);
    expect((await store.steps.outputs({ runId: 'old', scanId: 'old-0' }, [0])).size).toBe(0);
  });
});
