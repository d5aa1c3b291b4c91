import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

const ORDER_YAML = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'yaml', 'yaml-order.yaml'));

describe('YAML definitions on the engine', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  function deployYaml(resourceName: string, content: Buffer | string) {
    return engine.write('DEPLOYMENT', 'CREATE', { resources: [{ resourceName, resource: Buffer.from(content) }], tenantId: '<default>' })!;
  }

  function completeJob(type: string, variables: object = {}): void {
    const batch = engine.activateJobs(type).value as any;
    expect(batch.jobKeys).toHaveLength(1);
    engine.write('JOB', 'COMPLETE', { variables }, batch.jobKeys[0]);
  }

  it('given a YAML order flow, when it is deployed, then its PROCESS record carries the YAML resource', () => {
    // when
    const deployed = deployYaml('yaml-order.yaml', ORDER_YAML);

    // then
    expect(deployed).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
    expect((deployed.value as any).processesMetadata).toEqual([expect.objectContaining({ bpmnProcessId: 'yaml-order', version: 1, resourceName: 'yaml-order.yaml' })]);
    const [process] = engine.find('PROCESS', 'CREATED');
    expect(process.value.resourceName).toBe('yaml-order.yaml');
    expect(Buffer.from(process.value.resource).toString('utf8')).toBe(ORDER_YAML.toString('utf8'));
  });

  it('given a deployed YAML flow, then an instance runs through its task, decision, message and timer to its end', () => {
    // given
    deployYaml('yaml-order.yaml', ORDER_YAML);
    const key = engine.createInstance('yaml-order', { orderId: 'y-1' });
    // when
    completeJob('check-stock', { available: true });
    engine.publishMessage('payment-received', 'y-1', { variables: { paid: 42 } });
    engine.advanceTime(1_000);
    const ship = engine.activateJobs('ship').value as any;
    expect(ship.jobs[0].customHeaders).toEqual({ carrier: 'post' });
    engine.write('JOB', 'COMPLETE', { variables: {} }, ship.jobKeys[0]);
    // then
    const path = engine.elementEvents(key).filter((event) => event.endsWith(':ELEMENT_COMPLETED'));
    expect(path).toEqual([
      'start:ELEMENT_COMPLETED',
      'check-stock:ELEMENT_COMPLETED',
      'in-stock:ELEMENT_COMPLETED',
      'wait-for-payment:ELEMENT_COMPLETED',
      'settle:ELEMENT_COMPLETED',
      'ship:ELEMENT_COMPLETED',
      'shipped:ELEMENT_COMPLETED',
      'yaml-order:ELEMENT_COMPLETED',
    ]);
  });

  it('given an item out of stock, then the decision takes the otherwise branch', () => {
    deployYaml('yaml-order.yml', ORDER_YAML);
    const key = engine.createInstance('yaml-order', { orderId: 'y-2' });
    completeJob('check-stock', { available: false });
    const completed = engine.elementEvents(key).filter((event) => event.endsWith(':ELEMENT_COMPLETED'));
    expect(completed.slice(-2)).toEqual(['out-of-stock:ELEMENT_COMPLETED', 'yaml-order:ELEMENT_COMPLETED']);
  });

  it('given a bad YAML flow, then the deployment is rejected naming the resource, the steps and their lines', () => {
    const rejection = deployYaml('bad.yaml', 'process: bad\nsteps:\n  - id: wait\n    message: paid\n  - id: later\n    timer: soon\n');
    expect(rejection).toMatchObject({ recordType: 'COMMAND_REJECTION', rejectionType: 'INVALID_ARGUMENT' });
    expect(rejection.rejectionReason).toBe(
      "Expected to deploy new resources, but encountered the following errors:\n'bad.yaml':\n- Element: wait (line 3)\n    - ERROR: Expected message step 'wait' to have a 'correlationKey'",
    );
    const timer = deployYaml('bad.yaml', 'process: bad\nsteps:\n  - id: later\n    timer: soon\n');
    expect(timer.rejectionReason).toContain("- Element: later (line 3)\n    - ERROR: Invalid timer duration 'soon'");
  });
});
