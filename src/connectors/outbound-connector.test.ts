import { describe, expect, test } from 'vitest';
import type { KafkaMessage } from '../exporters/kafka/kafka-producer.js';
import { OUTBOUND_DEFAULTS } from './connectors-config.js';
import { OutboundConnector, publishRequestOf, type OutboundEvent, type OutboundJob } from './outbound-connector.js';

function job(variables: { [name: string]: unknown }, customHeaders: { [name: string]: string } = {}): OutboundJob {
  return { key: '2251799813685249', processInstanceKey: '2251799813685248', elementId: 'publish', retries: 3, variables, customHeaders };
}

function harness(publish: (message: KafkaMessage) => Promise<{ partition: number; offset: string }>, encodeAvro?: (subject: string, value: unknown) => Promise<Buffer>) {
  const completed: [string, object][] = [];
  const failed: [string, number, string][] = [];
  const events: OutboundEvent[] = [];
  const connector = new OutboundConnector(OUTBOUND_DEFAULTS, {
    jobs: {
      activate: async () => [],
      complete: async (jobKey, variables) => void completed.push([jobKey, variables]),
      fail: async (jobKey, retries, errorMessage) => void failed.push([jobKey, retries, errorMessage]),
    },
    publisher: {
      publish: async (message) => ({ topic: message.topic, timestamp: 1_700_000_000_000, ...(await publish(message)) }),
      close: async () => undefined,
    },
    onEvent: (event) => events.push(event),
    sleep: async () => undefined,
    encodeAvro,
  });
  return { connector, completed, failed, events };
}

describe('outbound Kafka connector', () => {
  test('variables come before task headers; values that are not text are written as JSON', () => {
    // given / when
    const request = publishRequestOf(job({ topic: 'orders-out', value: { id: 'o-1' }, headers: { source: 'shop', attempt: 2 } }, { topic: 'ignored', key: 'o-1' }));

    // then
    expect(request).toMatchObject({ message: { topic: 'orders-out', headers: { source: 'shop', attempt: '2' } } });
    if ('problem' in request) return;
    expect(request.message.key.toString()).toBe('o-1');
    expect(request.message.value.toString()).toBe('{"id":"o-1"}');
  });

  test('a published record completes the job with topic, partition, offset and timestamp (under resultVariable when set)', async () => {
    // given
    const { connector, completed } = harness(async () => ({ partition: 2, offset: '41' }));

    // when
    await connector.handle(job({ topic: 'a', value: 'text' }));
    await connector.handle(job({ topic: 'b', value: 'text' }, { resultVariable: 'published' }));

    // then
    expect(completed).toEqual([
      ['2251799813685249', { topic: 'a', partition: 2, offset: '41', timestamp: 1_700_000_000_000 }],
      ['2251799813685249', { published: { topic: 'b', partition: 2, offset: '41', timestamp: 1_700_000_000_000 } }],
    ]);
  });

  test('a job without topic or value, with bad headers, or whose record Kafka refuses fails with the reason and one retry less', async () => {
    // given
    const { connector, failed, completed } = harness(async () => {
      throw new Error('This server does not host this topic-partition');
    });

    // when
    await connector.handle(job({ value: 'x' }));
    await connector.handle(job({ topic: 't' }));
    await connector.handle(job({ topic: 't', value: 'x' }, { headers: 'not json' }));
    await connector.handle(job({ topic: 't', value: 'x' }));

    // then
    expect(completed).toEqual([]);
    expect(failed.map(([, retries, reason]) => [retries, reason])).toEqual([
      [2, "Expected a 'topic' variable or task header naming a Kafka topic, but found null"],
      [2, "Expected a 'value' variable or task header with the record's value, but found none"],
      [2, 'Expected \'headers\' to be a context of header names to values, but found the text "not json"'],
      [2, "Expected Kafka to acknowledge the record for topic 't', but This server does not host this topic-partition"],
    ]);
  });

  test('with avroSubject the value is encoded through the registry; without a registry the job fails with the reason', async () => {
    // given
    const sent: KafkaMessage[] = [];
    const publish = async (message: KafkaMessage) => {
      sent.push(message);
      return { partition: 0, offset: '0' };
    };
    const withRegistry = harness(publish, async (subject, value) => Buffer.from(`avro:${subject}:${JSON.stringify(value)}`));
    const withoutRegistry = harness(publish);

    // when
    await withRegistry.connector.handle(job({ topic: 't', value: { id: 'o-1' } }, { avroSubject: 't-value' }));
    await withoutRegistry.connector.handle(job({ topic: 't', value: { id: 'o-2' }, avroSubject: 't-value' }));

    // then
    expect(sent.map((message) => message.value.toString())).toEqual(['avro:t-value:{"id":"o-1"}']);
    expect(withoutRegistry.failed.map(([, , reason]) => reason)).toEqual(["Expected kafka.schemaRegistryUrl to be set to encode the value with Avro subject 't-value', but it is not"]);
  });
});
