import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageRows } from '../support/coverage-rows.js';
import { EngineHarness, FIXTURES } from './engine-harness.js';

describe('docs/bpmn-coverage.md', () => {
  let engine: EngineHarness;
  beforeAll(async () => {
    // Each fixture is deployed alone, so a call activity's child in another fixture is not deployed: the rows are
    // about the models, and whether a called process exists is checked by call-activity-deployment.test.ts.
    engine = await EngineHarness.create({ allowUnknownCalledProcess: true });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('names a fixture for every supported row, and only fixtures that exist', () => {
    const rows = coverageRows();
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.filter((row) => row.supported && !row.fixture).map((row) => row.element)).toEqual([]);
    expect(rows.filter((row) => row.fixture && !existsSync(join(FIXTURES, row.fixture))).map((row) => row.fixture)).toEqual([]);
  });

  it.each(coverageRows().filter((row) => row.supported && row.fixture))('$element deploys ($fixture)', ({ fixture }) => {
    const response = engine.deploy(fixture!);
    expect(response?.rejectionReason).toBe('');
    expect(response?.intent).toBe('CREATED');
  });
});
