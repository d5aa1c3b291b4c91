// Micro-benchmark of the binary record codec (src/protocol/codec), the hot path every record and every state value
// goes through: encodes and decodes record batches shaped like the one-task process's records and a state value
// (an element instance), and prints operations per CPU second and CPU nanoseconds per record, median of --rounds
// rounds. CPU time rather than wall time: on a shared machine, time spent waiting for a core is not the codec's.
//
//   npx tsc -p tsconfig.build.json && node bench/codec.mjs [--rounds 7] [--seconds 1] [--protocol DIR]
//
// --protocol points at a compiled src/protocol (default dist/protocol), so an older build can be measured beside the
// current one. Single process, no IO: on a shared machine compare runs made one right after the other.
/* global console, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '1' },
    protocol: { type: 'string', default: fileURLToPath(new URL('../dist/protocol', import.meta.url)) },
  },
});
const codec = await import(pathToFileURL(join(options.protocol, 'index.js')).href);
const roundsCount = Number(options.rounds);
const roundSeconds = Number(options.seconds);

const KEY_BASE = (1n << 51n) + 1_000_000n;
const processInstance = (intent, elementId, bpmnElementType, offset) => ({
  recordType: 'EVENT',
  valueType: 'PROCESS_INSTANCE',
  intent,
  value: {
    bpmnProcessId: 'bench-one-task',
    version: 1,
    processDefinitionKey: KEY_BASE,
    processInstanceKey: KEY_BASE + 10n,
    elementId,
    flowScopeKey: elementId === 'bench-one-task' ? -1n : KEY_BASE + 10n,
    bpmnElementType,
    bpmnEventType: bpmnElementType.endsWith('EVENT') ? 'NONE' : 'UNSPECIFIED',
    parentProcessInstanceKey: -1n,
    parentElementInstanceKey: -1n,
    tenantId: '<default>',
  },
  keyOffset: offset,
});
const job = (intent) => ({
  recordType: 'EVENT',
  valueType: 'JOB',
  intent,
  value: {
    type: 'bench-task',
    worker: 'bench-worker',
    retries: 3,
    retryBackoff: 0,
    recurringTime: -1,
    deadline: 1_764_000_000_000,
    timeout: 300_000,
    errorMessage: '',
    errorCode: '',
    customHeaders: {},
    variables: { orderId: 'order-123456', amount: 42.5 },
    processInstanceKey: KEY_BASE + 10n,
    bpmnProcessId: 'bench-one-task',
    processDefinitionVersion: 1,
    processDefinitionKey: KEY_BASE,
    elementId: 'task',
    elementInstanceKey: KEY_BASE + 12n,
    tenantId: '<default>',
    jobKind: 'BPMN_ELEMENT',
    jobListenerEventType: 'UNSPECIFIED',
    changedAttributes: [],
  },
  keyOffset: 13,
});

/** The events of one instance of bench/one-task.bpmn, from creation to completion, in one batch. */
const shapes = [
  processInstance('ELEMENT_ACTIVATING', 'bench-one-task', 'PROCESS', 10),
  processInstance('ELEMENT_ACTIVATED', 'bench-one-task', 'PROCESS', 10),
  processInstance('ELEMENT_ACTIVATING', 'start', 'START_EVENT', 11),
  processInstance('ELEMENT_ACTIVATED', 'start', 'START_EVENT', 11),
  processInstance('ELEMENT_COMPLETING', 'start', 'START_EVENT', 11),
  processInstance('ELEMENT_COMPLETED', 'start', 'START_EVENT', 11),
  processInstance('ELEMENT_ACTIVATING', 'task', 'SERVICE_TASK', 12),
  processInstance('ELEMENT_ACTIVATED', 'task', 'SERVICE_TASK', 12),
  job('CREATED'),
  job('COMPLETED'),
  processInstance('ELEMENT_COMPLETING', 'task', 'SERVICE_TASK', 12),
  processInstance('ELEMENT_COMPLETED', 'task', 'SERVICE_TASK', 12),
  processInstance('ELEMENT_COMPLETING', 'bench-one-task', 'PROCESS', 10),
  processInstance('ELEMENT_COMPLETED', 'bench-one-task', 'PROCESS', 10),
];
const batch = shapes.map((shape, index) => ({
  partitionId: 1,
  position: 1_000_000 + index,
  sourceRecordPosition: 999_999,
  key: KEY_BASE + BigInt(shape.keyOffset),
  timestamp: 1_764_000_000_000 + index,
  recordType: shape.recordType,
  valueType: shape.valueType,
  intent: shape.intent,
  rejectionType: 'NULL_VAL',
  rejectionReason: '',
  brokerVersion: '8.8.0',
  value: shape.value,
}));
/** An element instance as the state keeps it (src/state/domain/element-instance-state.ts). */
const stateValue = { key: KEY_BASE + 12n, state: 'ACTIVATED', value: shapes[7].value, childCount: 0, activeSequenceFlows: 0, jobKey: KEY_BASE + 13n };

const writer = new codec.ByteWriter(64 * 1024);
const batchBytes = codec.encodeRecordBatch(batch, writer);
const stateBytes = codec.encodeValue(stateValue);

const cases = [
  { name: 'encode record batch', records: batch.length, run: () => codec.encodeRecordBatch(batch, writer) },
  { name: 'decode record batch', records: batch.length, run: () => codec.decodeRecordBatch(batchBytes) },
  { name: 'encode state value', records: 1, run: () => codec.encodeValue(stateValue) },
  { name: 'decode state value', records: 1, run: () => codec.decodeValue(stateBytes) },
];

/** Operations per CPU second of one round: calls run in chunks until the round's wall time is up. */
function measureRound(run) {
  const chunk = 1000;
  let operations = 0;
  let sink = 0;
  const endMs = performance.now() + roundSeconds * 1000;
  const cpuBefore = process.cpuUsage();
  while (performance.now() < endMs) {
    for (let i = 0; i < chunk; i++) sink += run() === undefined ? 0 : 1;
    operations += chunk;
  }
  const cpu = process.cpuUsage(cpuBefore);
  if (sink !== operations) throw new Error('a codec call returned nothing');
  return operations / ((cpu.user + cpu.system) / 1e6);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(`codec: ${options.protocol}; batch of ${batch.length} records, ${batchBytes.length} bytes; state value ${stateBytes.length} bytes`);
for (const benchCase of cases) measureRound(benchCase.run); // warm-up: let V8 optimise every path first
const results = {};
for (const benchCase of cases) {
  const rounds = [];
  for (let round = 0; round < roundsCount; round++) rounds.push(measureRound(benchCase.run));
  const operationsPerS = median(rounds);
  const nsPerRecord = 1e9 / (operationsPerS * benchCase.records);
  results[benchCase.name] = { operationsPerS: Math.round(operationsPerS), nsPerRecord: Math.round(nsPerRecord) };
  console.log(`${benchCase.name.padEnd(20)} ${String(Math.round(operationsPerS)).padStart(9)} ops/CPU s  ${String(Math.round(nsPerRecord)).padStart(6)} CPU ns/record (min ${Math.round(Math.min(...rounds))}, max ${Math.round(Math.max(...rounds))} ops/CPU s)`);
}
console.log(JSON.stringify({ batchBytes: batchBytes.length, stateBytes: stateBytes.length, results }));
