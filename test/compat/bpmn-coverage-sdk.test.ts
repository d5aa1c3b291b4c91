import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpmnModdle } from 'bpmn-moddle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, delay, eventually, type ExportedRecord } from '../support/broker-process.js';
import { camundaClient, type ZeebeClient } from '../support/camunda-client.js';
import { coverageRows } from '../support/coverage-rows.js';
import { incidentEvents, sameKey } from '../support/exported-records.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * Every supported row of docs/bpmn-coverage.md through the official client (@camunda8/sdk, Zeebe gRPC) against a
 * real broker process, as a user would run it on Zeebe: the row's fixture deploys, and each of its processes that
 * has a none start event starts an instance that the broker exports and that raises no incident on its way to its
 * first wait state (other than those EXPECTED_INCIDENTS explains). A process without a none start event (message,
 * timer or signal starts only) must be refused with the reason, as Zeebe refuses it. test/engine/bpmn-coverage.test.ts checks the same rows in process.
 */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');
/** How long an instance may take, after its activation was exported, to raise an incident we would see. */
const INCIDENT_SETTLE_MS = 250;

/**
 * The incidents an instance may raise here by design; anything else (another type, or another reason) fails the row.
 * They are reasons, not fixtures, so that a new row needs no entry.
 */
const EXPECTED_INCIDENTS: ((incident: { errorType: string; errorMessage: string }) => boolean)[] = [
  // Instances start with no variables, while the fixtures are written for tests that pass them (orderId, items, ...).
  ({ errorMessage }) => errorMessage.endsWith("but was 'NULL'."),
  // Each fixture is deployed alone, so a called process that another fixture or deployment holds is not there.
  ({ errorType }) => errorType === 'CALLED_ELEMENT_ERROR',
];

interface ModdleProcess {
  $type: string;
  id: string;
  isExecutable?: boolean;
  flowElements?: { $type: string; eventDefinitions?: unknown[] }[];
}

/** The fixture's executable processes, and for each whether it has a none start event (read with bpmn-moddle, not the engine). */
async function processesOf(xml: string): Promise<{ processId: string; noneStart: boolean }[]> {
  const parsed = (await new BpmnModdle().fromXML(xml, 'bpmn:Definitions')) as { rootElement: { rootElements?: ModdleProcess[] } };
  return (parsed.rootElement.rootElements ?? [])
    .filter((element) => element.$type === 'bpmn:Process' && element.isExecutable !== false)
    .map((process) => ({
      processId: process.id,
      noneStart: (process.flowElements ?? []).some((element) => element.$type === 'bpmn:StartEvent' && (element.eventDefinitions ?? []).length === 0),
    }));
}

/**
 * The process instance's ELEMENT_ACTIVATING event. Not ELEMENT_ACTIVATED: an instance whose event subprocess cannot
 * open its subscription (a correlation key of a variable not given) stops at an incident before it is activated.
 */
function processActivating(records: ExportedRecord[], processInstanceKey: string): ExportedRecord | undefined {
  return records.find(
    (record) =>
      record.recordType === 'EVENT' &&
      record.valueType === 'PROCESS_INSTANCE' &&
      record.intent === 'ELEMENT_ACTIVATING' &&
      record.value.bpmnElementType === 'PROCESS' &&
      sameKey(record.key, processInstanceKey),
  );
}

describe('docs/bpmn-coverage.md through @camunda8/sdk', () => {
  let broker: BrokerProcess;
  let zbc: ZeebeClient;

  beforeAll(async () => {
    // Each fixture is deployed alone, as in the engine coverage test, so a call activity's called process may be
    // deployed nowhere; Zeebe deploys such a model and raises an incident when the call activity runs.
    broker = await BrokerProcess.start({ exportJsonl: true, args: ['--allow-unknown-called-process'] });
    zbc = camundaClient(broker);
  });
  afterAll(async () => {
    await zbc?.close();
    await broker?.dispose();
  });

  it.each(coverageRows().filter((row) => row.supported && row.fixture))('$element runs ($fixture)', async ({ fixture }) => {
    // given the row's fixture
    const xml = readFileSync(join(FIXTURES, fixture!));
    const processes = await processesOf(xml.toString('utf8'));
    // when it is deployed
    const deployment = await zbc.deployResource({ name: fixture!, process: xml });
    // then every executable process in it is deployed
    const deployed = deployment.deployments.map((entry) => entry.process.bpmnProcessId);
    expect(deployed.sort()).toEqual(processes.map((process) => process.processId).sort());
    for (const { processId, noneStart } of processes) {
      const created = await zbc.createProcessInstance({ bpmnProcessId: processId, variables: {} }).then(
        (response) => response,
        (error: { code: number; details: string }) => error,
      );
      if (!noneStart) {
        // Zeebe refuses to start a process at a none start event it does not have (FAILED_PRECONDITION).
        expect(created, processId).toMatchObject({ code: 9, details: expect.stringContaining('none start event') });
        continue;
      }
      expect(created, processId).toMatchObject({ bpmnProcessId: processId, processInstanceKey: expect.stringMatching(/^\d+$/) });
      const { processInstanceKey } = created as { processInstanceKey: string };
      await eventually(`process instance ${processInstanceKey} of '${processId}' to be exported`, () => processActivating(broker.exportedRecords(), processInstanceKey));
      await delay(INCIDENT_SETTLE_MS);
      const unexpected = incidentEvents(broker.exportedRecords(), processInstanceKey, 'CREATED')
        .filter(({ value }) => !EXPECTED_INCIDENTS.some((expected) => expected({ errorType: value.errorType, errorMessage: value.errorMessage })))
        .map(({ value }) => `${value.errorType}: ${value.errorMessage}`);
      expect(unexpected, `unexpected incidents of '${processId}'`).toEqual([]);
    }
  });
});
