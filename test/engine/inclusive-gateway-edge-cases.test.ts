import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

/** Inclusive joins inside a subprocess, with a branch that waits at a timer, and a join left by termination. */
describe('inclusive gateway edge cases', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('inclusive-gateway-edge-cases.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  const completeWork = () => {
    const jobKey = (engine.activateJobs('edge-work').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
  };
  const count = (events: string[], event: string) => events.filter((candidate) => candidate === event).length;

  it('given a branch waiting at a timer, when the other branch arrives, then the join waits for the timer and is activated once', () => {
    // given
    const key = engine.createInstance('inclusive-edge-cases', { work: true, delay: true });
    // when
    completeWork();
    // then
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    // when
    engine.advanceTime(60_000);
    // then
    const events = engine.elementEvents(key);
    expect(count(events, 'join:ELEMENT_ACTIVATED')).toBe(1);
    expect(events.at(-1)).toBe('inclusive-edge-cases:ELEMENT_COMPLETED');
    expect(events).toContain('end:ELEMENT_COMPLETED');
  });

  it('given only the timer branch taken, then the join goes on when the timer fires, without waiting for the other flow', () => {
    const key = engine.createInstance('inclusive-edge-cases', { work: false, delay: true });
    expect((engine.activateJobs('edge-work').value as any).jobKeys).toEqual([]);
    engine.advanceTime(60_000);
    expect(engine.elementEvents(key).at(-1)).toBe('inclusive-edge-cases:ELEMENT_COMPLETED');
  });

  it('given a token waiting at the join, when the subprocess is interrupted, then the join is never activated', () => {
    const key = engine.createInstance('inclusive-edge-cases', { work: true, delay: true });
    engine.advanceTime(60_000);
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    engine.advanceTime(60 * 60_000);
    const events = engine.elementEvents(key);
    expect(events).toContain('scope:ELEMENT_TERMINATED');
    expect(events).not.toContain('join:ELEMENT_ACTIVATING');
    expect(events).toContain('timed-out:ELEMENT_COMPLETED');
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
  });

  it('given no condition true and no default flow, then a CONDITION_ERROR incident; after SetVariables, resolving forks', () => {
    const key = engine.createInstance('inclusive-edge-cases', { work: false, delay: false });
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value).toMatchObject({ errorType: 'CONDITION_ERROR', elementId: 'fork' });
    engine.write('VARIABLE_DOCUMENT', 'UPDATE', { scopeKey: key, variables: { work: true }, updateSemantics: 'PROPAGATE' });
    expect(engine.write('INCIDENT', 'RESOLVE', {}, incident.key)?.intent).toBe('RESOLVED');
    completeWork();
    expect(engine.elementEvents(key).at(-1)).toBe('inclusive-edge-cases:ELEMENT_COMPLETED');
  });
});
