// Appends records to one SegmentedLog (the log of one partition) as fast as it takes them, the way Kafka's producer
// feeds a broker: records go in batches of --batch-bytes, and at most --buffer-bytes of appended records wait to
// become durable (Kafka's buffer.memory). Each batch is followed by flush(), so batches appended while an fdatasync
// runs share the next one (group commit). Prints one JSON object; bench/run.mjs runs it in a process of its own.
//
//   node bench/log-append.mjs --dir DIR --records N --warmup-records N --record-bytes N --batch-bytes N
//                             --buffer-bytes N --fsync true|false [--dist DIR]
/* global console, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    records: { type: 'string', default: '1000000' },
    'warmup-records': { type: 'string', default: '100000' },
    'record-bytes': { type: 'string', default: '256' },
    'batch-bytes': { type: 'string', default: '16384' },
    'buffer-bytes': { type: 'string', default: '33554432' },
    fsync: { type: 'string', default: 'true' },
    // bench/run.mjs passes the copy of dist/ its brokers run from, so that the whole run measures one version.
    dist: { type: 'string', default: fileURLToPath(new URL('../dist', import.meta.url)) },
  },
});
const { SegmentedLog } = await import(pathToFileURL(join(values.dist, 'log', 'index.js')).href);
const recordCount = Number(values.records);
const warmupRecordCount = Number(values['warmup-records']);
const recordBytes = Number(values['record-bytes']);
const recordsPerBatch = Math.max(1, Math.floor(Number(values['batch-bytes']) / recordBytes));
const batchesInFlightMax = Math.max(1, Math.floor(Number(values['buffer-bytes']) / (recordsPerBatch * recordBytes)));
const fsync = values.fsync === 'true';

const log = await SegmentedLog.open({ directory: values.dir, fsync, onWarning: () => {} });
// Random bytes, like ProducerPerformance's payload; the log neither compresses nor looks inside.
const payload = randomBytes(recordBytes);
const term = 1;

/** Appends count records and resolves once every one of them is durable; returns the seconds it took. */
async function appendRecords(count) {
  const started = process.hrtime.bigint();
  const inFlight = [];
  for (let appended = 0; appended < count; ) {
    const batch = Math.min(recordsPerBatch, count - appended);
    for (let i = 0; i < batch; i++) log.append(term, payload);
    appended += batch;
    inFlight.push(log.flush());
    // The bound on waiting data: like a full buffer.memory, it blocks the producer until the oldest batch is durable.
    if (inFlight.length >= batchesInFlightMax) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

await appendRecords(warmupRecordCount);
const flushesBefore = log.flushCount;
const seconds = await appendRecords(recordCount);
const flushes = log.flushCount - flushesBefore;
await log.close();
console.log(
  JSON.stringify({
    recordsPerS: recordCount / seconds,
    megabytesPerS: (recordCount * recordBytes) / seconds / 1e6,
    records: recordCount,
    seconds,
    flushes,
    recordsPerFlush: recordCount / Math.max(1, flushes),
    recordBytes,
    recordsPerBatch,
    batchesInFlightMax,
    fsync,
  }),
);
