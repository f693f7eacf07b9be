import { describe, expect, it } from 'vitest';
import { Gate } from '../../../src/util/gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Gate', () => {
  it('runs at most `concurrency` tasks at once, the rest in order, and refuses past `maxWaiting`', async () => {
    const gate = new Gate(2, 2, () => new Error('busy'));
    const started: number[] = [];
    const tasks = Array.from({ length: 4 }, () => deferred());
    const runs = tasks.map((t, i) => gate.run(async () => { started.push(i); await t.promise; return i; }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    await expect(gate.run(async () => 5)).rejects.toThrow('busy');

    tasks[1]!.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    tasks[0]!.resolve();
    tasks[2]!.resolve();
    tasks[3]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    // Every slot came back: two run at once again.
    const again = [deferred(), deferred()];
    const both = again.map((t) => gate.run(() => t.promise));
    again.forEach((t) => t.resolve());
    await Promise.all(both);
  });

  it('frees the slot when a task fails', async () => {
    const gate = new Gate(1, 0, () => new Error('busy'));
    await expect(gate.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await gate.run(async () => 'ok')).toBe('ok');
  });
});
