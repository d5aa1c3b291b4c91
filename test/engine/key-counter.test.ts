import { afterEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

/**
 * The key counter and the processed position change with every key and every command, but are written once per
 * transaction, as it commits. What a user sees must not change: keys are never handed out twice, not after a
 * rolled-back command and not after a restart.
 */
describe('keys and the processed position, written as a transaction commits', () => {
  let harness: EngineHarness;
  afterEach(async () => {
    await harness.close();
  });

  function keysWritten(): bigint[] {
    return harness.records.filter((record) => record.recordType === 'EVENT' && record.key >= 0n).map((record) => record.key);
  }

  it('hands out new keys after the state is closed and opened again (no replay)', async () => {
    harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    harness.createInstance('one-task');
    harness.createInstance('one-task');
    const before = keysWritten();
    const processedBefore = harness.engine.state.lastProcessedPosition;

    await harness.reopen();
    harness.createInstance('one-task');

    expect(harness.engine.state.lastProcessedPosition).toBeGreaterThan(processedBefore);
    const after = keysWritten().slice(before.length);
    const highestBefore = before.reduce((highest, key) => (key > highest ? key : highest), 0n);
    expect(after.length).toBeGreaterThan(0);
    for (const key of after) expect(key).toBeGreaterThan(highestBefore);
  });

  it('never repeats a key across rolled-back commands', async () => {
    harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    const instanceKeys: bigint[] = [];
    for (let round = 0; round < 5; round++) {
      instanceKeys.push(harness.createInstance('one-task'));
      expect(harness.activateJobs('no-such-type').value).toMatchObject({ jobKeys: [] });
    }

    const jobKeys = harness.find('JOB', 'CREATED').map((record) => record.key);
    const keys = [...instanceKeys, ...jobKeys];
    expect(jobKeys).toHaveLength(5);
    expect(new Set(keys).size).toBe(10);
  });
});
