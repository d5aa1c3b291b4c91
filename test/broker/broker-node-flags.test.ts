import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerNodeFlags, givenV8PoolSize, recommendedV8PoolSize } from '../../src/cli/broker-node-flags.js';
import { BrokerProcess } from '../support/broker-process.js';

/**
 * `tributary broker` starts Node again in place with its own flags (fewer V8 helper threads than Node's default, no
 * allocation-site pretenuring, a larger initial old generation); flags the operator gave are kept. What `ps` shows
 * is the proof.
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

describe('Node flags of the broker', () => {
  it('recommends half the cores as V8 helper threads, at least 1 and at most Node\'s default of 4', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((cores) => recommendedV8PoolSize(cores))).toEqual([1, 1, 1, 2, 4, 4, 4]);
  });

  it('adds only the flags not given, the last pool size winning as in Node', () => {
    expect(brokerNodeFlags([], 2)).toEqual(['--v8-pool-size=1', '--no-allocation-site-pretenuring', '--initial-old-space-size=256']);
    expect(brokerNodeFlags(['--v8-pool-size=3', '--allocation-site-pretenuring', '--initial-old-space-size=64'], 2)).toEqual([]);
    expect(brokerNodeFlags(['--max-old-space-size=512', '--v8-pool-size', '2'], 8)).toEqual(['--no-allocation-site-pretenuring']);
    expect(brokerNodeFlags(['--initial_heap_size=100', '--no-allocation-site-pretenuring'], 4)).toEqual(['--v8-pool-size=2']);
    expect(givenV8PoolSize(['--v8-pool-size=3', '--v8-pool-size=6'])).toBe(6);
    expect(givenV8PoolSize(['--trace-gc'])).toBeUndefined();
  });

  it('runs the broker (same process) with its flags where Node can start itself again', async () => {
    broker = await BrokerProcess.start();

    const commandLine = commandLineOf(broker.pid);
    expect(commandLine).toContain('broker');
    if (canReplaceProcess) {
      expect(commandLine).toEqual(expect.arrayContaining([`--v8-pool-size=${recommendedV8PoolSize()}`, '--no-allocation-site-pretenuring', '--initial-old-space-size=256']));
    } else {
      // Node before 22.15 cannot replace a process: the broker keeps Node's defaults rather than running twice.
      expect(commandLine.some((word) => word.startsWith('--v8-pool-size') || word.endsWith('pretenuring'))).toBe(false);
    }
  }, 60_000);

  it('keeps flags the operator gave in NODE_OPTIONS and adds only the others', async () => {
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
    expect(commandLine.includes('--no-allocation-site-pretenuring')).toBe(canReplaceProcess);
    expect(readFileSync(`/proc/${broker.pid}/environ`, 'utf8').split('\0')).toContain('NODE_OPTIONS=--v8-pool-size=3');
  }, 60_000);
});
