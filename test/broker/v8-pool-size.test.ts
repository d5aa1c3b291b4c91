import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { givenV8PoolSize, recommendedV8PoolSize } from '../../src/cli/v8-pool-size.js';
import { BrokerProcess } from '../support/broker-process.js';

/**
 * `tributary broker` starts Node again in place with fewer V8 helper threads than Node's default (they compete with
 * the broker's own threads for the cores); a pool size the operator gave is kept. What `ps` shows is the proof.
 */

const canReplaceProcess = typeof (process as unknown as { execve?: unknown }).execve === 'function';
let broker: BrokerProcess | undefined;

afterEach(async () => {
  await broker?.dispose();
  broker = undefined;
});

function commandLineOf(pid: number | undefined): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('V8 helper threads of the broker', () => {
  it('recommends half the cores, at least 1 and at most Node\'s default of 4', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((cores) => recommendedV8PoolSize(cores))).toEqual([1, 1, 1, 2, 4, 4, 4]);
  });

  it('reads a pool size given as a flag or in NODE_OPTIONS, the last one winning as in Node', () => {
    expect(givenV8PoolSize(['--v8-pool-size=3'])).toBe(3);
    expect(givenV8PoolSize([], '--max-old-space-size=512 --v8-pool-size 2')).toBe(2);
    expect(givenV8PoolSize(['--v8-pool-size=3'], '--v8-pool-size=6')).toBe(6);
    expect(givenV8PoolSize(['--trace-gc'], '')).toBeUndefined();
  });

  it('runs the broker (same process) with the recommended pool size where Node can start itself again', async () => {
    broker = await BrokerProcess.start();

    const commandLine = commandLineOf(broker.pid);
    expect(commandLine).toContain('broker');
    if (canReplaceProcess) {
      expect(commandLine).toContain(`--v8-pool-size=${recommendedV8PoolSize()}`);
    } else {
      // Node before 22.15 cannot replace a process: the broker keeps Node's default rather than running twice.
      expect(commandLine.some((word) => word.startsWith('--v8-pool-size'))).toBe(false);
    }
  }, 60_000);

  it('keeps a pool size the operator gave in NODE_OPTIONS', async () => {
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--v8-pool-size=3';
    try {
      broker = await BrokerProcess.start();
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }

    const commandLine = commandLineOf(broker.pid);
    expect(commandLine.some((word) => word.startsWith('--v8-pool-size'))).toBe(false);
    expect(readFileSync(`/proc/${broker.pid}/environ`, 'utf8').split('\0')).toContain('NODE_OPTIONS=--v8-pool-size=3');
  }, 60_000);
});
