import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Partition } from '../../broker/partition.js';
import { PARTITION_SETTINGS_DEFAULTS } from '../../broker/partition-settings.js';
import { RoundRobinJobStreams, type PendingResponse } from '../../engine/index.js';
import type { Record } from '../../protocol/index.js';
import { migrateFileSchemaRegistry } from './registry-store.js';
import { SchemaRegistry } from './schema-registry.js';
import { startSchemaRegistryServer, type SchemaRegistryServer } from './server.js';

let folder: string;
let registry: SchemaRegistry;
let server: SchemaRegistryServer;
let partition: Partition;

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

const orderV1 = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'string' }] };
const orderV2 = { ...orderV1, fields: [...orderV1.fields, { name: 'amount', type: 'long', default: 0 }] };
/** A field without a default: readers of v2 cannot read data written with v1. */
const orderV2NoDefault = { ...orderV1, fields: [...orderV1.fields, { name: 'amount', type: 'long' }] };

/**
 * The registry as the broker runs it: its writes are SCHEMA commands on a real partition (log on disk, RocksDB
 * state), decided by the engine's processors; its reads come from that partition's state.
 */
async function openRegistry(): Promise<void> {
  const responses = new Map<number, (record: Record) => void>();
  partition = await Partition.open({
    partitionId: 1,
    directory: path.join(folder, 'partition-1'),
    settings: PARTITION_SETTINGS_DEFAULTS,
    clock: { nowMs: () => Date.now() },
    jobStreams: new RoundRobinJobStreams(),
    listener: {
      onResponse: (response: PendingResponse) => responses.get(response.requestId)?.(response.record),
      onSideEffect: () => {},
      onCommitted: () => {},
      onFailure: (error) => {
        throw error;
      },
    },
  });
  let nextRequestId = 1;
  const opened = partition;
  registry = new SchemaRegistry({
    reads: () => opened.engine.state.schemaRegistry,
    sendCommand: (intent, value) =>
      new Promise((resolve) => {
        const requestId = nextRequestId++;
        responses.set(requestId, resolve);
        opened.submit({ valueType: 'SCHEMA', intent, key: -1n, value, requestId, requestStreamId: 0 });
      }),
  });
  server = await startSchemaRegistryServer(registry, { host: '127.0.0.1', port: 0 });
}

async function closeRegistry(): Promise<void> {
  await server.close();
  await registry.close();
  await partition.close();
}

beforeEach(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'tributary-schema-registry-'));
  await openRegistry();
});

afterEach(async () => {
  await closeRegistry();
  await rm(folder, { recursive: true, force: true });
});

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; contentType: string | null }> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': CONTENT_TYPE },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), contentType: response.headers.get('content-type') };
}

const register = (subject: string, schema: object) => call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(schema) });

describe('subjects and versions', () => {
  test('registers versions under a subject, serves them by version, by id and as the latest', async () => {
    // when
    const first = await register('orders-value', orderV1);
    const second = await register('orders-value', orderV2);
    const again = await register('orders-value', orderV1);

    // then
    expect(first).toMatchObject({ status: 200, body: { id: 1 } });
    expect(first.contentType).toMatch(/^application\/vnd\.schemaregistry\.v1\+json/);
    expect(second.body).toEqual({ id: 2 });
    expect(again.body).toEqual({ id: 1 });
    expect((await call('GET', '/subjects')).body).toEqual(['orders-value']);
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([1, 2]);
    const latest = await call('GET', '/subjects/orders-value/versions/latest');
    expect(latest.body).toEqual({ subject: 'orders-value', id: 2, version: 2, schema: JSON.stringify(orderV2) });
    expect(JSON.parse((await call('GET', '/schemas/ids/1')).body.schema)).toEqual(orderV1);
    expect((await call('GET', '/schemas/ids/2/versions')).body).toEqual([{ subject: 'orders-value', version: 2 }]);
    expect((await call('POST', '/subjects/orders-value', { schema: JSON.stringify(orderV2) })).body).toMatchObject({ id: 2, version: 2 });
  });

  test('gives an equal schema under another subject the same id', async () => {
    await register('a-value', orderV1);
    const other = await register('b-value', orderV1);

    expect(other.body).toEqual({ id: 1 });
    expect((await call('GET', '/subjects/b-value/versions/1')).body).toMatchObject({ id: 1, version: 1 });
  });

  test('answers unknown subjects, versions and ids with Confluent\'s 404 codes', async () => {
    await register('orders-value', orderV1);

    expect((await call('GET', '/subjects/nothing/versions')).body).toEqual({ error_code: 40401, message: "Subject 'nothing' not found." });
    expect((await call('GET', '/subjects/orders-value/versions/7')).body).toEqual({ error_code: 40402, message: 'Version 7 not found.' });
    expect(await call('GET', '/schemas/ids/99')).toMatchObject({ status: 404, body: { error_code: 40403, message: 'Schema 99 not found' } });
    expect((await call('POST', '/subjects/orders-value', { schema: JSON.stringify(orderV2) })).body).toEqual({ error_code: 40403, message: 'Schema not found' });
    expect(await call('GET', '/subjects/orders-value/versions/0')).toMatchObject({ status: 422, body: { error_code: 42202 } });
  });

  test('soft-deletes, then permanently deletes a subject', async () => {
    // given
    await register('orders-value', orderV1);
    await register('orders-value', orderV2);

    // when / then
    expect(await call('DELETE', '/subjects/orders-value?permanent=true')).toMatchObject({ status: 404, body: { error_code: 40405 } });
    expect((await call('DELETE', '/subjects/orders-value')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects')).body).toEqual([]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(['orders-value']);
    expect((await call('DELETE', '/subjects/orders-value')).body).toMatchObject({ error_code: 40404 });
    expect((await call('DELETE', '/subjects/orders-value?permanent=true')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual([]);
    // Schema ids stay valid: consumers may still hold messages written with them.
    expect((await call('GET', '/schemas/ids/1')).status).toBe(200);
  });

  test('deletes a single version', async () => {
    await register('orders-value', orderV1);
    await register('orders-value', orderV2);

    expect((await call('DELETE', '/subjects/orders-value/versions/2')).body).toBe(2);
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([1]);
    expect((await call('GET', '/subjects/orders-value/versions/latest')).body).toMatchObject({ version: 1 });
  });
});

describe('bad schemas and incompatible changes', () => {
  test('answer an invalid schema with 422 and error code 42201', async () => {
    const response = await call('POST', '/subjects/orders-value/versions', { schema: '{"type":"record","name":"Order","fields":[{"name":"id","type":"strin"}]}' });

    expect(response.status).toBe(422);
    expect(response.body.error_code).toBe(42201);
    expect(response.body.message).toMatch(/^Invalid schema .* of type AVRO, details: .*strin/);
  });

  test('answer a schema that is not JSON, or not Avro, with 422', async () => {
    expect((await call('POST', '/subjects/x/versions', { schema: '{not json' })).body.error_code).toBe(42201);
    expect((await call('POST', '/subjects/x/versions', { schema: '"string"', schemaType: 'PROTOBUF' })).body.error_code).toBe(42201);
    expect((await call('POST', '/subjects/x/versions', { nothing: true })).status).toBe(422);
  });

  test('answer an incompatible change with 409 and name the problem (BACKWARD by default)', async () => {
    // given
    await register('orders-value', orderV1);

    // when
    const response = await register('orders-value', orderV2NoDefault);

    // then
    expect(response.status).toBe(409);
    expect(response.body.error_code).toBe(409);
    expect(response.body.message).toMatch(/^Schema being registered is incompatible with an earlier schema for subject "orders-value", details: \[.*READER_INCOMPATIBLE.*amount/);
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([1]);
  });

  test('check FORWARD, FULL, NONE and the transitive forms as configured per subject', async () => {
    // given: v1 has a field v3 drops; v2 adds a field with a default
    const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'string', default: 'x' }] };
    const v2 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
    const v3 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }] };
    expect((await call('PUT', '/config/r', { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
    await register('r', v1);
    await register('r', v2);

    // when / then: v3 reads v2 data? no (b has no default); v2 reads v3 data: yes
    expect((await call('POST', '/compatibility/subjects/r/versions/latest', { schema: JSON.stringify(v3) })).body).toEqual({ is_compatible: true });
    await call('PUT', '/config/r', { compatibility: 'BACKWARD' });
    expect((await call('POST', '/compatibility/subjects/r/versions/latest', { schema: JSON.stringify(v3) })).body).toEqual({ is_compatible: false });
    await call('PUT', '/config/r', { compatibility: 'FORWARD' });
    expect((await call('POST', '/compatibility/subjects/r/versions?verbose=true', { schema: JSON.stringify(v3) })).body).toEqual({ is_compatible: true, messages: [] });
    // FORWARD_TRANSITIVE: v1 cannot read v3 data (b is a string in v1, an int in v3)
    await call('PUT', '/config/r', { compatibility: 'FORWARD_TRANSITIVE' });
    const transitive = await call('POST', '/compatibility/subjects/r/versions?verbose=true', { schema: JSON.stringify(v3) });
    expect(transitive.body.is_compatible).toBe(false);
    expect(transitive.body.messages.join()).toContain('Version 1 cannot read');
    expect((await register('r', v3)).status).toBe(409);
    await call('PUT', '/config/r', { compatibility: 'FULL' });
    expect((await register('r', v3)).status).toBe(409);
  });

  test('answer an unknown compatibility level with 42203', async () => {
    expect(await call('PUT', '/config', { compatibility: 'SIDEWAYS' })).toMatchObject({ status: 422, body: { error_code: 42203 } });
  });
});

describe('configuration', () => {
  test('keeps a global level and subject levels, with Confluent\'s fallback rules', async () => {
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/config', { compatibility: 'full' })).body).toEqual({ compatibility: 'FULL' });
    expect((await call('GET', '/config/orders-value')).body).toEqual({
      error_code: 40408,
      message: "Subject 'orders-value' does not have subject-level compatibility configured",
    });
    expect((await call('GET', '/config/orders-value?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'FULL' });
    await call('PUT', '/config/orders-value', { compatibility: 'NONE' });
    expect((await call('GET', '/config/orders-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('DELETE', '/config/orders-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('GET', '/config/orders-value?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'FULL' });
  });
});

describe('durability', () => {
  test('keeps subjects, ids and configuration across a restart', async () => {
    // given
    await register('orders-value', orderV1);
    await call('PUT', '/config/orders-value', { compatibility: 'NONE' });
    await register('orders-value', orderV2NoDefault);
    await call('DELETE', '/subjects/orders-value/versions/1');

    // when
    await closeRegistry();
    await openRegistry();

    // then
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([2]);
    expect((await call('GET', '/config/orders-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await register('other-value', orderV1)).body).toEqual({ id: 1 });
    expect((await register('third-value', { type: 'string' })).body).toEqual({ id: 3 });
  });
});

describe('replication', () => {
  test('keeps the registry in partition 1\'s snapshots: a lost state directory comes back from the snapshot', async () => {
    // given
    await register('orders-value', orderV1);
    await call('PUT', '/config', { compatibility: 'FULL' });
    await partition.snapshotAndCompact(Number.MAX_SAFE_INTEGER);
    await register('orders-value', orderV2);

    // when the state directory is lost
    await closeRegistry();
    await rm(path.join(folder, 'partition-1', 'state'), { recursive: true, force: true });
    await openRegistry();

    // then the snapshot and the log after it rebuild it
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([1, 2]);
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await register('other-value', { type: 'string' })).body).toEqual({ id: 3 });
  });
});

describe('migration', () => {
  test('imports the events file of an earlier version once, keeping ids, versions, deletions and configuration', async () => {
    // given the file an earlier version wrote
    const legacy = path.join(folder, 'schema-registry');
    await mkdir(legacy, { recursive: true });
    const events = [
      { type: 'SCHEMA_REGISTERED', subject: 'orders-value', version: 1, id: 1, schemaType: 'AVRO', schema: JSON.stringify(orderV1) },
      { type: 'SCHEMA_REGISTERED', subject: 'orders-value', version: 2, id: 2, schemaType: 'AVRO', schema: JSON.stringify(orderV2) },
      { type: 'VERSION_DELETED', subject: 'orders-value', version: 1, permanent: false },
      { type: 'CONFIG_SET', subject: null, compatibility: 'FULL' },
    ];
    await writeFile(path.join(legacy, 'events.v1.jsonl'), events.map((event) => `${JSON.stringify(event)}\n`).join(''));

    // when
    expect(await migrateFileSchemaRegistry(legacy, registry)).toBe(4);

    // then
    expect((await call('GET', '/subjects/orders-value/versions')).body).toEqual([2]);
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await register('other-value', { type: 'string' })).body).toEqual({ id: 3 });
    expect(await migrateFileSchemaRegistry(legacy, registry)).toBe(0);
    expect((await readdir(legacy)).sort()).toEqual(['events.v1.jsonl.migrated']);
  });
});

describe('@kafkajs/confluent-schema-registry', () => {
  test('registers, encodes and decodes through the registry unchanged', async () => {
    // given
    const client = new ConfluentClient({ host: server.url });

    // when
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2) }, { subject: 'orders-value' });
    const message = await client.encode(id, { id: 'o-1', amount: 12 });
    const decoded = await new ConfluentClient({ host: server.url }).decode(message);

    // then
    expect(message[0]).toBe(0);
    expect(message.readInt32BE(1)).toBe(id);
    expect(decoded).toEqual({ id: 'o-1', amount: 12 });
    expect(await client.getLatestSchemaId('orders-value')).toBe(id);
    expect(await client.getRegistryIdBySchema('orders-value', { type: SchemaType.AVRO, schema: JSON.stringify(orderV2) })).toBe(id);
    expect((await call('GET', '/config/orders-value')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  test('sees an incompatible change rejected', async () => {
    const client = new ConfluentClient({ host: server.url });
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'orders-value' });

    await expect(client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2NoDefault) }, { subject: 'orders-value' })).rejects.toThrow(
      /incompatible with an earlier schema/,
    );
  });
});
