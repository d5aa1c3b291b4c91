import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/broker/broker-config.js';
import { tempDir } from '../support/temp-dir.js';

const quiet = { info: () => {}, error: () => {} };

const orderV1 = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'string' }] };
const orderV2 = { ...orderV1, fields: [...orderV1.fields, { name: 'amount', type: 'long', default: 0 }] };

describe('the schema registry of a broker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given schemas registered through @kafkajs/confluent-schema-registry, when the broker restarts, then ids, versions and messages still decode', async () => {
    // given a broker serving the registry, and two versions of a schema
    const dir = tempDir();
    cleanups.push(dir.remove);
    const exported = join(dir.path, 'records.jsonl');
    const config: BrokerConfig = {
      ...BROKER_CONFIG_DEFAULTS,
      dataDirectory: join(dir.path, 'data'),
      host: '127.0.0.1',
      gatewayPort: 0,
      monitoringPort: 0,
      schemaRegistryPort: 0,
      exportJsonlFile: exported,
    };
    const first = new Broker(config, quiet);
    await first.start();
    const client = new ConfluentClient({ host: `http://127.0.0.1:${first.schemaRegistryPort}` });
    const v1 = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'orders-value' });
    const v2 = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2) }, { subject: 'orders-value' });
    const message = await client.encode(v2.id, { id: 'o-1', amount: 12 });
    await first.stop();

    // when the broker starts again on the same data
    const second = new Broker(config, quiet);
    await second.start();
    cleanups.push(() => second.stop());
    const url = `http://127.0.0.1:${second.schemaRegistryPort}`;

    // then the registry answers as before, and goes on handing out ids after the old ones
    const again = new ConfluentClient({ host: url });
    expect(await again.decode(message)).toEqual({ id: 'o-1', amount: 12 });
    expect(await again.getLatestSchemaId('orders-value')).toBe(v2.id);
    expect(await (await fetch(`${url}/subjects/orders-value/versions`)).json()).toEqual([1, 2]);
    const third = await again.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Other', fields: [] }) }, { subject: 'other-value' });
    expect([v1.id, v2.id, third.id]).toEqual([1, 2, 3]);
    // and invalid or incompatible schemas get Confluent's errors, decided by partition 1's processors
    const post = async (schema: string) => {
      const response = await fetch(`${url}/subjects/orders-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema }) });
      return { status: response.status, body: (await response.json()) as { error_code: number; message: string } };
    };
    expect(await post('{"type":"record","name":"Order","fields":[{"name":"id","type":"strin"}]}')).toMatchObject({ status: 422, body: { error_code: 42201 } });
    const incompatible = await post(JSON.stringify({ ...orderV2, fields: [...orderV2.fields, { name: 'currency', type: 'string' }] }));
    expect(incompatible).toMatchObject({ status: 409, body: { error_code: 409 } });
    expect(incompatible.body.message).toMatch(/^Schema being registered is incompatible with an earlier schema for subject "orders-value"/);
    // and the registry's records stay out of the exported stream
    const lines = existsSync(exported) ? readFileSync(exported, 'utf8').split('\n').filter(Boolean) : [];
    expect(lines.filter((line) => line.includes('"valueType":"SCHEMA"'))).toEqual([]);
  });
});
