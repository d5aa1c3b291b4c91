import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

/** Everything the engine keeps, in a comparable form. */
function dumpState(engine: Engine): unknown {
  const state = engine.state;
  return {
    jobs: [...Array(200).keys()].map((i) => state.jobs.getJob((1n << 51n) + BigInt(i))),
    instances: [...Array(200).keys()].map((i) => state.elementInstances.getInstance((1n << 51n) + BigInt(i))),
    lastProcessed: state.lastProcessedPosition,
    nextKey: state.keys.nextKey(),
  };
}

describe('replay', () => {
  it('replaying the written records rebuilds exactly the state that processing built', async () => {
    // given a history with completions, failures, incidents and cancellations
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn', 'parallel.bpmn');
    const a = harness.createInstance('one-task', { n: 1 });
    harness.createInstance('parallel');
    harness.createInstance('one-task', { n: 2 });
    const batch = harness.activateJobs('work', 1).value as any;
    harness.write('JOB', 'FAIL', { retries: 0, errorMessage: 'x' }, batch.jobKeys[0]);
    harness.write('PROCESS_INSTANCE', 'CANCEL', {}, a);
    const jobA = (harness.activateJobs('a').value as any).jobKeys[0];
    harness.write('JOB', 'COMPLETE', { variables: { done: 'a' } }, jobA);
    // when the records are replayed into a fresh engine
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of harness.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then both states are the same
    expect(dumpState(replayed)).toEqual(dumpState(harness.engine));
    await store.close();
    dir.remove();
    await harness.close();
  });
});
