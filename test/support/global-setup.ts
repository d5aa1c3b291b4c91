import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup: compiles src/ into dist/ once per run, because the end-to-end tests start the real broker
 * (`node bin/tributary broker`, which runs dist/) as a child process. The build is skipped when no input changed
 * since the last build this setup made. A failed build does not abort the run (unit tests do not need dist/); it
 * is handed to the tests, and every test that starts a broker fails with the compiler's output.
 */

export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DistBuildResult {
  ok: boolean;
  /** What the compiler printed when the build failed; empty otherwise. */
  output: string;
  skipped: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    distBuild: DistBuildResult;
  }
}

/** Where the stamp of the last successful build lives: outside dist/, so `npm run build` does not disturb it. */
const STAMP_FILE = join(REPOSITORY_ROOT, 'node_modules', '.cache', 'tributary-test', 'dist-build-stamp.json');
const BUILD_TIMEOUT_MS = 180_000;

interface BuildStamp {
  newestInputMtimeMs: number;
  inputCount: number;
}

export default function setup(project: TestProject): void {
  project.provide('distBuild', buildDist());
}

export function buildDist(): DistBuildResult {
  const before = scanInputs();
  if (isCurrent(before)) return { ok: true, output: '', skipped: true };
  // The local TypeScript compiler, run by the same node as the tests: what `npx tsc -p tsconfig.build.json` runs.
  const tsc = join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim();
  if (result.status !== 0) return { ok: false, output: output || `tsc exited with ${result.status ?? result.signal}`, skipped: false };
  // The stamp records the inputs as they were before compiling: a file edited during the build is newer, so the
  // next run builds again.
  mkdirSync(dirname(STAMP_FILE), { recursive: true });
  writeFileSync(STAMP_FILE, JSON.stringify(before));
  return { ok: true, output: '', skipped: false };
}

function isCurrent(inputs: BuildStamp): boolean {
  let stamp: BuildStamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP_FILE, 'utf8')) as BuildStamp;
    statSync(join(REPOSITORY_ROOT, 'dist', 'cli', 'main.js'));
  } catch {
    return false;
  }
  return stamp.inputCount === inputs.inputCount && stamp.newestInputMtimeMs >= inputs.newestInputMtimeMs;
}

/** The newest modification time and the number of the compiler's inputs (src/ and the tsconfig files). */
function scanInputs(): BuildStamp {
  let newestInputMtimeMs = 0;
  let inputCount = 0;
  const visit = (path: string): void => {
    const stats = statSync(path);
    newestInputMtimeMs = Math.max(newestInputMtimeMs, stats.mtimeMs);
    if (!stats.isDirectory()) {
      inputCount++;
      return;
    }
    for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(join(REPOSITORY_ROOT, 'src'));
  visit(join(REPOSITORY_ROOT, 'tsconfig.json'));
  visit(join(REPOSITORY_ROOT, 'tsconfig.build.json'));
  return { newestInputMtimeMs, inputCount };
}
