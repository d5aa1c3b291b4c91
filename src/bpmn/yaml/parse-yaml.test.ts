import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBpmn } from '../parse-bpmn.js';
import { parseResource } from '../parse-resource.js';
import { parseYaml } from './parse-yaml.js';

const ORDER_YAML = readFileSync(new URL('../../../test/fixtures/yaml/yaml-order.yaml', import.meta.url), 'utf8');

function problemsOf(yaml: string) {
  return parseYaml(yaml, 'bad.yaml').problems.map(({ message, line, elementId }) => ({ message, line, ...(elementId ? { elementId } : {}) }));
}

describe('YAML definitions', () => {
  it('given the order example, then it becomes an executable process of the same shape a BPMN model has', () => {
    // when
    const result = parseYaml(ORDER_YAML, 'yaml-order.yaml');

    // then
    expect(result.problems).toEqual([]);
    const [process] = result.processes;
    expect(process).toMatchObject({ id: 'yaml-order', name: 'Order (YAML)', bpmnElementType: 'PROCESS' });
    expect(process.noneStartEvent?.id).toBe('start');
    const types = [...process.elements.values()].map((element) => `${element.id}:${element.bpmnElementType}:${element.bpmnEventType}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'start:START_EVENT:NONE',
        'check-stock:SERVICE_TASK:UNSPECIFIED',
        'in-stock:EXCLUSIVE_GATEWAY:UNSPECIFIED',
        'wait-for-payment:INTERMEDIATE_CATCH_EVENT:MESSAGE',
        'settle:INTERMEDIATE_CATCH_EVENT:TIMER',
        'ship:SERVICE_TASK:UNSPECIFIED',
        'shipped:END_EVENT:NONE',
        'out-of-stock:END_EVENT:NONE',
      ]),
    );
    const gateway = process.elements.get('in-stock')!;
    expect(gateway.outgoing.map((flow) => [flow.target.id, flow.condition?.source])).toEqual([
      ['wait-for-payment', '=inStock'],
      ['out-of-stock', undefined],
    ]);
    expect(gateway.defaultFlow?.target.id).toBe('out-of-stock');
    expect(process.elements.get('check-stock')!.job?.type.source).toBe('check-stock');
    expect(process.elements.get('check-stock')!.outputMappings.map((mapping) => [mapping.target, mapping.source.source])).toEqual([['inStock', '=available']]);
    expect(process.elements.get('ship')!.job?.headers).toEqual({ carrier: 'post' });
    expect(process.elements.get('wait-for-payment')!.message?.correlationKey?.source).toBe('=orderId');
    expect(process.elements.get('settle')!.timer).toMatchObject({ kind: 'duration' });
  });

  it('given a resource name, then parseResource reads .yaml and .yml as YAML and the rest as BPMN', () => {
    expect(parseResource(ORDER_YAML, 'order.yml').processes.map((process) => process.id)).toEqual(['yaml-order']);
    expect(parseResource(ORDER_YAML, 'order.bpmn').problems.length).toBeGreaterThan(0);
    expect(parseBpmn(ORDER_YAML, 'order.bpmn').problems.length).toBeGreaterThan(0);
  });

  it('given YAML that does not parse, then the problem names its line', () => {
    const problems = problemsOf('process: broken\nsteps:\n  - id: a\n    service: [unclosed\n');
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/^Invalid YAML: /);
    expect(problems[0].line).toBeGreaterThanOrEqual(4);
  });

  it('given several mistakes, then every one is reported with the line of its step', () => {
    // given
    const yaml = [
      'process: mistakes', // 1
      'owner: me', // 2
      'steps:', // 3
      '  - id: first', // 4
      '    service: work', // 5
      '    next: nowhere', // 6
      '  - id: both', // 7
      '    service: work', // 8
      '    end: true', // 9
      '  - id: wait', // 10
      '    message: paid', // 11
      '  - id: first', // 12
      '    end: true', // 13
      '',
    ].join('\n');

    // when
    const problems = problemsOf(yaml);

    // then
    expect(problems).toEqual(
      expect.arrayContaining([
        { message: "Unknown key 'owner'; expected 'process', 'name' and 'steps'", line: 2 },
        { message: "Expected step 'both' to have exactly one of: service, decide, message, timer, end; it has service, end", line: 7, elementId: 'both' },
        { message: "Expected message step 'wait' to have a 'correlationKey'", line: 10, elementId: 'wait' },
        { message: 'Duplicate step id \'first\' (first used on line 4)', line: 12, elementId: 'first' },
        { message: "Step 'first' goes on with 'nowhere', but there is no step with that id", line: 4, elementId: 'first' },
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('given a model the BPMN rules refuse, then the problems point at the YAML lines of the steps', () => {
    // given: a timer that is not ISO 8601, a condition that is not FEEL, a job type left empty
    const yaml = [
      'process: rules', // 1
      'steps:', // 2
      '  - id: wait', // 3
      '    timer: one day', // 4
      '  - id: choose', // 5
      '    decide:', // 6
      '      - when: amount >', // 7
      '        next: done', // 8
      '      - otherwise: done', // 9
      '  - id: done', // 10
      '    end: true', // 11
      '',
    ].join('\n');

    // when
    const problems = problemsOf(yaml);

    // then
    expect(problems).toEqual([
      { elementId: 'wait', line: 3, message: "Invalid timer duration 'one day': Expected a duration in ISO 8601 format (e.g. 'PT10S'), but found 'one day'" },
      { elementId: 'choose-to-done', line: 7, message: expect.stringMatching(/^failed to parse expression 'amount >'/) },
    ]);
  });

  it('given something that is not a definition, then it says what is expected', () => {
    expect(problemsOf('- just\n- a list\n')).toEqual([{ message: "Expected a YAML mapping with the keys 'process' and 'steps'", line: 1 }]);
    expect(problemsOf('process: 1abc\nsteps: []\n').map((problem) => problem.message)).toEqual([
      "Expected 'process' to be the process id (letters, digits, '_', '-', '.'; not starting with a digit)",
      "Expected 'steps' to be a list of at least one step",
    ]);
  });
});
