import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHarness, FIXTURES } from './engine-harness.js';

const COVERAGE = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'bpmn-coverage.md'), 'utf8');

interface CoverageRow {
  element: string;
  supported: boolean;
  fixture?: string;
}

/** Every table row of docs/bpmn-coverage.md: first cell, whether any cell says supported, the fixture cell. */
function coverageRows(): CoverageRow[] {
  return COVERAGE.split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| element |') && !line.startsWith('| event |') && !line.startsWith('|---'))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
      const fixture = /^`([^`]+\.bpmn)`$/.exec(cells[cells.length - 1])?.[1];
      const supported = cells.slice(1, -1).some((cell) => cell.startsWith('supported'));
      return { element: cells[0], supported, fixture };
    });
}

describe('docs/bpmn-coverage.md', () => {
  let engine: EngineHarness;
  beforeAll(async () => {
    engine = await EngineHarness.create();
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
