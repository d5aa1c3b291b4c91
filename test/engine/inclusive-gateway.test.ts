import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('inclusive gateway', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const jobKeyOf = (type: string): bigint | undefined => (engine.activateJobs(type).value as any).jobKeys[0];
  const complete = (type: string, variables: object = {}): void => {
    const jobKey = jobKeyOf(type);
    expect(jobKey, `a job of type '${type}'`).toBeDefined();
    engine.write('JOB', 'COMPLETE', { variables }, jobKey);
  };
  const count = (events: string[], event: string): number => events.filter((candidate) => candidate === event).length;

  it('given two true conditions, when both branches complete, then the join is activated once after the second', () => {
    // given
    engine.deploy('inclusive-gateway.bpmn');
    const key = engine.createInstance('inclusive', { a: true, b: true });
    const taken = engine.elementEvents(key).filter((event) => event.endsWith('SEQUENCE_FLOW_TAKEN'));
    expect(taken).toEqual(['f1:SEQUENCE_FLOW_TAKEN', 'toA:SEQUENCE_FLOW_TAKEN', 'toB:SEQUENCE_FLOW_TAKEN']);
    expect(jobKeyOf('c')).toBeUndefined();
    // when
    complete('a');
    // then
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    // when
    complete('b');
    // then
    const events = engine.elementEvents(key);
    expect(count(events, 'join:ELEMENT_ACTIVATED')).toBe(1);
    expect(count(events, 'end:ELEMENT_COMPLETED')).toBe(1);
    expect(events.at(-1)).toBe('inclusive:ELEMENT_COMPLETED');
  });

  it('given one true condition, when its branch completes, then the join does not wait for the others', () => {
    engine.deploy('inclusive-gateway.bpmn');
    const key = engine.createInstance('inclusive', { a: false, b: true });
    expect(jobKeyOf('a')).toBeUndefined();
    complete('b');
    const events = engine.elementEvents(key);
    expect(count(events, 'join:ELEMENT_ACTIVATED')).toBe(1);
    expect(events.at(-1)).toBe('inclusive:ELEMENT_COMPLETED');
  });

  it('given no true condition, then the default flow is taken', () => {
    engine.deploy('inclusive-gateway.bpmn');
    const key = engine.createInstance('inclusive', { a: false, b: false });
    expect(engine.elementEvents(key)).toContain('toC:SEQUENCE_FLOW_TAKEN');
    complete('c');
    expect(engine.elementEvents(key).at(-1)).toBe('inclusive:ELEMENT_COMPLETED');
  });

  it('given no true condition and no default flow, then an incident is raised at the fork', () => {
    engine.deploy('inclusive-gateway-branch-ends.bpmn');
    const key = engine.createInstance('inclusive-branch-ends', { a: false, b: false });
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident?.value.errorType).toBe('CONDITION_ERROR');
    expect(incident?.value.elementId).toBe('fork');
    expect(engine.elementEvents(key)).not.toContain('fork:ELEMENT_ACTIVATED');
  });

  it('given a waiting token, when the other branch ends elsewhere, then the join is activated', () => {
    // given
    engine.deploy('inclusive-gateway-branch-ends.bpmn');
    const key = engine.createInstance('inclusive-branch-ends', { a: true, b: true, leave: true });
    complete('a');
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    // when
    complete('b');
    // then
    const events = engine.elementEvents(key);
    expect(count(events, 'sideEnd:ELEMENT_COMPLETED')).toBe(1);
    expect(count(events, 'join:ELEMENT_ACTIVATED')).toBe(1);
    expect(events.at(-1)).toBe('inclusive-branch-ends:ELEMENT_COMPLETED');
  });

  it('given both branches reach the join, then the join takes both tokens and the instance completes', () => {
    engine.deploy('inclusive-gateway-branch-ends.bpmn');
    const key = engine.createInstance('inclusive-branch-ends', { a: true, b: true, leave: false });
    complete('b');
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    complete('a');
    const events = engine.elementEvents(key);
    expect(count(events, 'join:ELEMENT_ACTIVATED')).toBe(1);
    expect(events.at(-1)).toBe('inclusive-branch-ends:ELEMENT_COMPLETED');
  });
});
