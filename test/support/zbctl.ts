import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { BrokerProcess } from './broker-process.js';
import { REPOSITORY_ROOT } from './global-setup.js';

/**
 * zbctl, Zeebe's Go command line client, from the npm package `zbctl`. Its node_modules/.bin/zbctl is a node wrapper
 * that checks the npm registry for updates after every command, so the tests run the Linux binary it wraps directly.
 */
export const ZBCTL_BINARY = join(REPOSITORY_ROOT, 'node_modules', 'zbctl', 'bin', 'zbctl-cli.linux');
const ZBCTL_TIMEOUT_MS = 30_000;

export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs zbctl against the broker's gateway (plain text) and collects its output; never rejects on a non-zero exit. */
export function zbctl(broker: BrokerProcess, args: string[]): Promise<CommandResult> {
  requireZbctl();
  // zbctl reads ZEEBE_* variables from the environment; none of the caller's may change what the test asks for.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ZEEBE_') && !name.startsWith('CAMUNDA_')));
  return new Promise((resolve) => {
    execFile(ZBCTL_BINARY, ['--insecure', '--address', broker.address, ...args], { env, timeout: ZBCTL_TIMEOUT_MS }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ exitCode, stdout, stderr: error !== null && exitCode === null ? `${stderr}${String(error)}` : stderr });
    });
  });
}

/** Runs zbctl and parses what it printed as JSON; fails with zbctl's output when it exits non-zero. */
export async function zbctlJson(broker: BrokerProcess, args: string[]): Promise<any> {
  const result = await zbctl(broker, args);
  if (result.exitCode !== 0) {
    throw new Error(`Expected 'zbctl ${args.join(' ')}' to succeed, but it exited with ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  }
  try {
    return JSON.parse(result.stdout);
  } catch (error) {
    throw new Error(`Expected 'zbctl ${args.join(' ')}' to print JSON, but it printed:\n${result.stdout}`, { cause: error });
  }
}

function requireZbctl(): void {
  try {
    accessSync(ZBCTL_BINARY, constants.X_OK);
  } catch (error) {
    throw new Error(`Expected zbctl's Linux binary at ${ZBCTL_BINARY} (npm package zbctl, a devDependency), but it is not executable: ${String(error)}`, { cause: error });
  }
}
