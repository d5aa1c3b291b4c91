import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BROKER_CONFIG_DEFAULTS } from '../../src/broker/broker-config.js';
import { tempDir } from '../support/temp-dir.js';

const quiet = { info: () => {}, error: () => {} };

describe('broker health', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startBroker(exportJsonlFile?: string): Promise<Broker> {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const broker = new Broker(
      { ...BROKER_CONFIG_DEFAULTS, dataDirectory: join(dir.path, 'data'), host: '127.0.0.1', gatewayPort: 0, monitoringPort: 0, exportJsonlFile },
      quiet,
    );
    await broker.start();
    cleanups.push(() => broker.stop());
    return broker;
  }

  it('given a healthy broker, then /ready and /health answer 200', async () => {
    const broker = await startBroker();
    const ready = await fetch(`http://127.0.0.1:${broker.monitoringPort}/ready`);
    const health = await fetch(`http://127.0.0.1:${broker.monitoringPort}/health`);
    expect(ready.status).toBe(200);
    expect(health.status).toBe(200);
  });

  it('given an exporter that keeps failing, then /health reports it unhealthy with the reason while /ready stays 200', async () => {
    // given an export file path that is a directory, so the JSON-lines exporter cannot open it
    const dir = tempDir();
    cleanups.push(dir.remove);
    const blocked = join(dir.path, 'blocked.jsonl');
    mkdirSync(blocked);
    const broker = await startBroker(blocked);
    // when the director has tried
    let body: any;
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(`http://127.0.0.1:${broker.monitoringPort}/health`);
      body = { status: response.status, json: await response.json() };
      if (body.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // then
    expect(body.status).toBe(503);
    expect(JSON.stringify(body.json)).toContain('exporter-json-lines');
    expect((await fetch(`http://127.0.0.1:${broker.monitoringPort}/ready`)).status).toBe(200);
  });
});
