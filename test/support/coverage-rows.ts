import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The rows of docs/bpmn-coverage.md, which the engine and official-client coverage tests both run. */

const COVERAGE_FILE = join(import.meta.dirname, '..', '..', 'docs', 'bpmn-coverage.md');

export interface CoverageRow {
  element: string;
  supported: boolean;
  fixture?: string;
}

/** Every table row of docs/bpmn-coverage.md: first cell, whether any cell says supported, the fixture cell. */
export function coverageRows(): CoverageRow[] {
  return readFileSync(COVERAGE_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| element |') && !line.startsWith('| event |') && !line.startsWith('|---'))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
      const fixture = /^`([^`]+\.bpmn)`$/.exec(cells[cells.length - 1])?.[1];
      const supported = cells.slice(1, -1).some((cell) => cell.startsWith('supported'));
      return { element: cells[0], supported, fixture };
    });
}
