import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from './global-setup.js';
import type { CommandResult } from './zbctl.js';

const CLI_TIMEOUT_MS = 30_000;

/**
 * Runs `node bin/tributary ARGS` (the compiled CLI) as a user would, collecting its output and exit code. A command
 * still running after the timeout is killed and reported with exitCode null.
 */
export function tributaryCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TRIBUTARY_ADDRESS' && name !== 'ZEEBE_ADDRESS'));
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPOSITORY_ROOT, 'bin', 'tributary'), ...args], { cwd: options.cwd ?? REPOSITORY_ROOT, env, timeout: options.timeoutMs ?? CLI_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ exitCode, stdout, stderr: error !== null && exitCode === null ? `${stderr}${String(error)}` : stderr });
    });
  });
}
