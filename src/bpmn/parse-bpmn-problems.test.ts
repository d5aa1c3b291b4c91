import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParseResult, Problem } from './model.js';
import { parseBpmn } from './parse-bpmn.js';

function parseFixture(name: string): ParseResult {
  return parseBpmn(readFileSync(new URL(`../../test/fixtures/bpmn/${name}`, import.meta.url)), name);
}

/** The problems without their resource name and position, which some tests check on their own. */
function messagesOf(problems: Problem[]): { elementId?: string; message: string }[] {
  return problems.map(({ elementId, message }) => (elementId === undefined ? { message } : { elementId, message }));
}

describe('problems in the XML', () => {
  it('reports malformed XML with its line and column', () => {
    // given a start event that is never closed
    // when
    const result = parseFixture('malformed-xml.bpmn');

    // then
    expect(result.processes).toEqual([]);
    expect(result.problems).toEqual([
      {
        message: 'The XML is not well-formed: closing tag mismatch',
        line: 5,
        column: 3,
        resourceName: 'malformed-xml.bpmn',
      },
    ]);
  });

  it('reports bytes that are not UTF-8', () => {
    // given
    const bytes = new Uint8Array([0x3c, 0x61, 0xff, 0xfe, 0x3e]);

    // when
    const result = parseBpmn(bytes, 'binary.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { message: 'Expected the resource to be UTF-8 encoded XML, but it contains invalid UTF-8' },
    ]);
  });

  it('reports a document that is not BPMN', () => {
    // given
    const xml = '<?xml version="1.0"?>\n<html><body /></html>';

    // when
    const result = parseBpmn(xml, 'page.bpmn');

    // then
    expect(result.processes).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ line: 2, column: 1 });
    expect(result.problems[0].message).toContain('<html>');
  });

  it('reports a reference to an element that does not exist', () => {
    // when
    const result = parseFixture('unresolved-reference.bpmn');

    // then
    expect(result.problems).toEqual([
      {
        elementId: 'to-nowhere',
        message: "Attribute 'targetRef' refers to 'nowhere', which cannot be resolved",
        line: 5,
        column: 5,
        resourceName: 'unresolved-reference.bpmn',
      },
    ]);
  });
});

describe('problems in the model', () => {
  it('reports an element BPMN does not know, with its position', () => {
    // given a misspelt end event
    // when
    const result = parseFixture('unknown-element.bpmn');

    // then the element is reported, and so is the flow that cannot reach it
    expect(result.problems).toEqual([
      {
        elementId: 'to-end',
        message: "Attribute 'targetRef' refers to 'end', which cannot be resolved",
        line: 5,
        column: 5,
        resourceName: 'unknown-element.bpmn',
      },
      {
        message: 'Cannot read <bpmn:endEvnt>: unknown type <bpmn:EndEvnt>',
        line: 6,
        column: 5,
        resourceName: 'unknown-element.bpmn',
      },
    ]);
  });

  it('reports a Zeebe extension element that is not supported yet', () => {
    // when
    const result = parseFixture('unsupported-execution-listener.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { elementId: 'task', message: "Elements of type 'zeebe:ExecutionListeners' are not supported yet" },
    ]);
  });

  it('reports definitions without an executable process', () => {
    // when
    const result = parseFixture('no-executable-process.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { elementId: 'definitions', message: 'Must contain at least one executable process' },
    ]);
  });

  it('reports a process without a start event', () => {
    // when
    const result = parseFixture('process-without-start-event.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { elementId: 'no-start', message: "Process 'no-start' must have at least one start event" },
    ]);
  });

  it('reports a service task without a job type', () => {
    // when
    const result = parseFixture('service-task-without-type.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { elementId: 'task', message: "Attribute 'type' must be present and not empty" },
    ]);
  });

  it('reports a service task without a task definition', () => {
    // when
    const result = parseFixture('service-task-without-task-definition.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      { elementId: 'task', message: "Must have exactly one 'zeebe:taskDefinition' extension element" },
    ]);
  });

  it('reports an unsupported element', () => {
    // when
    const result = parseFixture('unsupported-complex-gateway.bpmn');

    // then
    expect(result.problems).toEqual([
      {
        elementId: 'decide',
        message: "Elements of type 'bpmn:ComplexGateway' are not supported yet",
        line: 6,
        column: 5,
        resourceName: 'unsupported-complex-gateway.bpmn',
      },
    ]);
  });

  it('reports a timer that is not ISO 8601', () => {
    // when
    const result = parseFixture('invalid-timer.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      {
        elementId: 'wait',
        message: "Invalid timer duration 'one day': Expected a duration in ISO 8601 format (e.g. 'PT10S'), but found 'one day'",
      },
    ]);
  });

  it('accepts a process with a timer start event and no none start event', () => {
    // when
    const result = parseBpmn(readFileSync(new URL('../../test/fixtures/bpmn/timer-start-event.bpmn', import.meta.url)), 'timer-start-event.bpmn');

    // then
    expect(result.problems).toEqual([]);
    expect(result.processes[0].noneStartEvent).toBeUndefined();
    expect(result.processes[0].eventStartEvents.map((event) => [event.id, event.bpmnEventType])).toEqual([['every-day', 'TIMER']]);
  });

  it('reports an event-based gateway pointing at a task and a message without a name, every problem named', () => {
    // when
    const result = parseFixture('bad-event-models.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      {
        elementId: 'choose',
        message:
          "Event-based gateway must not have an outgoing sequence flow to other elements than message, timer or signal intermediate catch events, but it points to 'task'",
      },
      { elementId: 'wait-for-payment', message: 'Must have a message name' },
    ]);
  });

  it('reports every bad event of a model at once: a gateway pointing at a task, a nameless message, timers not in ISO 8601', () => {
    // when
    const result = parseFixture('bad-models.bpmn');

    // then: the call of a process deployed nowhere is outlined for the deployment to check against what is deployed
    expect(result.processes).toEqual([]);
    expect(result.outline.calls).toEqual([{ elementId: 'ship', calledProcessId: 'shipping-not-deployed-yet', bindingType: 'latest', versionTag: undefined, line: 27, column: 5 }]);
    expect(messagesOf(result.problems)).toEqual([
      {
        elementId: 'choose',
        message:
          "Event-based gateway must not have an outgoing sequence flow to other elements than message, timer or signal intermediate catch events, but it points to 'task'",
      },
      { elementId: 'wait-for-payment', message: 'Must have a message name' },
      { elementId: 'cool-down', message: "Invalid timer duration 'two hours': Expected a duration in ISO 8601 format (e.g. 'PT10S'), but found 'two hours'" },
      { elementId: 'deadline', message: expect.stringContaining("'next monday'") },
    ]);
  });

  it('reports a flow leaving an exclusive gateway without a condition', () => {
    // when
    const result = parseFixture('gateway-flow-without-condition.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      {
        elementId: 'small',
        message:
          "A sequence flow leaving the exclusive gateway 'gateway' must have a condition unless it is the default flow",
      },
    ]);
  });

  it('reports a condition that is not FEEL', () => {
    // when
    const result = parseFixture('static-condition.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([
      {
        elementId: 'large',
        message:
          "Expected expression but found static value 'amount > 100'. An expression must start with '=' (e.g. '=amount > 100').",
      },
    ]);
  });

  it('reports a default flow that does not leave the gateway', () => {
    // when
    const result = parseFixture('default-flow-not-outgoing.bpmn');

    // then
    expect(messagesOf(result.problems)).toEqual([{ elementId: 'gateway', message: 'Default flow must start at gateway' }]);
  });

  it('reports a FEEL syntax error naming the element and the expression', () => {
    // when
    const result = parseFixture('feel-syntax-error.bpmn');

    // then
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0].elementId).toBe('task');
    expect(result.problems[0].message).toMatch(/^failed to parse expression 'order\.total \+': /);
  });

  it('reports every problem of a document at once, in document order', () => {
    // given a process without a start event, with a service task without a type, an invalid condition, a flow
    // without a condition and a user task
    // when
    const result = parseFixture('all-problems.bpmn');

    // then
    expect(result.processes).toEqual([]);
    expect(result.problems.map((problem) => [problem.elementId, problem.line])).toEqual([
      ['all-problems', 3],
      ['no-type', 4],
      ['large', 11],
      ['small', 14],
      ['review', 15],
    ]);
    expect(result.problems.map((problem) => problem.message)).toEqual([
      "Process 'all-problems' must have at least one start event",
      "Attribute 'type' must be present and not empty",
      expect.stringMatching(/^failed to parse expression 'amount >': /),
      "A sequence flow leaving the exclusive gateway 'gateway' must have a condition unless it is the default flow",
      "Elements of type 'bpmn:ComplexGateway' are not supported yet",
    ]);
  });
});
