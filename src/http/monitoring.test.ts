import { afterEach, describe, expect, test } from 'vitest';
import { MetricsRegistry } from '../broker/metrics.js';
import { startMonitoringServer, type HealthReport, type MonitoringServer, type MonitoringSource, type Readiness } from './monitoring.js';

let server: MonitoringServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A source whose answers the test changes, as a broker's change while it starts. */
function fakeSource(overrides: Partial<MonitoringSource> = {}): MonitoringSource & { state: { readiness: Readiness; health: HealthReport } } {
  const state = {
    readiness: { ready: true, details: { partitions: [{ partitionId: 1, ready: true, role: 'leader' }] } } as Readiness,
    health: { status: 'healthy', components: [{ name: 'partition-1', status: 'healthy' }] } as HealthReport,
  };
  return {
    state,
    readiness: () => state.readiness,
    health: () => state.health,
    metrics: () => '',
    ...overrides,
  };
}

async function start(source: MonitoringSource): Promise<string> {
  server = await startMonitoringServer({ source, host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${server.port}`;
}

describe('GET /ready', () => {
  test('answers 200 once every partition accepts commands', async () => {
    const url = await start(fakeSource());

    const response = await fetch(`${url}/ready`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ready', partitions: [{ partitionId: 1, ready: true, role: 'leader' }] });
  });

  test('answers 503 naming the partition that is not ready', async () => {
    // given
    const source = fakeSource();
    source.state.readiness = {
      ready: false,
      details: {
        partitions: [
          { partitionId: 1, ready: true, role: 'leader' },
          { partitionId: 2, ready: false, role: 'follower', reason: 'no leader elected yet' },
        ],
      },
    };
    const url = await start(source);

    // when
    const response = await fetch(`${url}/ready`);

    // then
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; message: string; notReadyPartitions: unknown[] };
    expect(body.status).toBe('not ready');
    expect(body.message).toBe('Partition 2 does not accept commands yet');
    expect(body.notReadyPartitions).toEqual([{ partitionId: 2, ready: false, role: 'follower', reason: 'no leader elected yet' }]);
  });

  test('turns ready when the source does', async () => {
    const source = fakeSource();
    source.state.readiness = { ready: false, details: { partitions: [] } };
    const url = await start(source);

    const before = await fetch(`${url}/ready`);
    source.state.readiness = { ready: true, details: { partitions: [{ partitionId: 1, ready: true }] } };
    const after = await fetch(`${url}/ready`);

    expect(before.status).toBe(503);
    expect(((await before.json()) as { message: string }).message).toBe('The broker has no partition that accepts commands yet');
    expect(after.status).toBe(200);
  });

  test('answers 503 with the reason when readiness cannot be determined', async () => {
    const url = await start(
      fakeSource({
        readiness: () => {
          throw new Error('partition manager is not started');
        },
      }),
    );

    const response = await fetch(`${url}/ready`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not ready',
      message: 'Readiness could not be determined: partition manager is not started',
    });
  });
});

describe('GET /health', () => {
  test('answers 200 listing healthy components', async () => {
    const url = await start(fakeSource());

    const response = await fetch(`${url}/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy', components: [{ name: 'partition-1', status: 'healthy' }] });
  });

  test('answers 503 when any nested component is unhealthy, keeping the whole tree', async () => {
    // given
    const source = fakeSource();
    const components = [
      {
        name: 'partition-1',
        status: 'healthy' as const,
        components: [{ name: 'exporter-director', status: 'unhealthy' as const, message: "exporter 'kafka' fails: broker down" }],
      },
    ];
    source.state.health = { status: 'healthy', components };
    const url = await start(source);

    // when
    const response = await fetch(`${url}/health`);

    // then
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unhealthy', components });
  });
});

describe('GET /metrics', () => {
  test('serves the Prometheus text format 0.0.4', async () => {
    // given
    const registry = new MetricsRegistry();
    registry.counter({ name: 'tributary_records_processed_total', help: 'Records processed.', labelNames: ['partition'] })
      .labels({ partition: 1 })
      .inc(7);
    const url = await start(fakeSource({ metrics: () => registry.exposition() }));

    // when
    const response = await fetch(`${url}/metrics`);

    // then
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toBe(
      '# HELP tributary_records_processed_total Records processed.\n' +
        '# TYPE tributary_records_processed_total counter\n' +
        'tributary_records_processed_total{partition="1"} 7\n',
    );
  });

  test('answers 500 with a JSON body when metrics cannot be collected', async () => {
    const url = await start(
      fakeSource({
        metrics: () => {
          throw new Error('collector failed');
        },
      }),
    );

    const response = await fetch(`${url}/metrics`);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: 'INTERNAL', message: 'collector failed' });
  });
});

describe('unknown routes', () => {
  test('answer 404 with a JSON body', async () => {
    const url = await start(fakeSource());

    const response = await fetch(`${url}/actuator/nothing`, { method: 'POST' });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: 'NOT_FOUND',
      message: 'No route POST /actuator/nothing; the monitoring port serves GET /ready, /health and /metrics',
    });
  });
});

describe('startMonitoringServer', () => {
  test('listens on the port it reports and stops on close', async () => {
    const url = await start(fakeSource());
    expect(server?.port).toBeGreaterThan(0);

    await server?.close();
    server = undefined;

    await expect(fetch(`${url}/ready`)).rejects.toThrow();
  });
});
