import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { REPOSITORY_ROOT, type DistBuildResult } from './global-setup.js';

/**
 * The real broker as a child process (`node bin/tributary broker`, running dist/), so that SIGKILL is a real crash:
 * no shutdown hook, no flush, only what reached the disk survives. Ports are chosen by the kernel (the broker binds
 * port 0 and prints what it got), so test files running in parallel never collide; a restart binds the same ports
 * again so clients can reconnect, and falls back to fresh ones if another process took them meanwhile.
 */

/** How long a broker may take to print its ready line and answer GET /ready with 200. */
export const BROKER_READY_TIMEOUT_MS = 20_000;
/** How long a graceful stop (SIGTERM) may take before the broker is killed and stop() fails. */
const BROKER_STOP_TIMEOUT_MS = 15_000;
const READY_POLL_INTERVAL_MS = 50;
/** How much of the broker's output a failure message quotes. */
const OUTPUT_QUOTED_LENGTH_MAX = 4_000;
const READY_LINE = /Tributary broker \d+ ready: gateway on (\S+):(\d+), monitoring on port (\d+), data in (.+)$/m;
const BIN = join(REPOSITORY_ROOT, 'bin', 'tributary');

export interface BrokerProcessOptions {
  /** Where the broker keeps its data; a fresh temporary directory (removed by dispose) when left out. */
  dataDir?: string;
  /** Have the broker write every record to records.jsonl beside the data (see exportedRecords). */
  exportJsonl?: boolean;
  partitions?: number;
  /** Further flags for `tributary broker`. */
  args?: string[];
}

/** One exported record as the JSON-lines exporter writes it. */
export interface ExportedRecord {
  partitionId: number;
  position: number;
  sourceRecordPosition: number;
  key: number;
  recordType: 'COMMAND' | 'EVENT' | 'COMMAND_REJECTION';
  valueType: string;
  intent: string;
  rejectionType: string;
  rejectionReason: string;
  value: { [name: string]: any };
}

/** Every broker child still running in this test process; killed if the process exits, so none is left behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class BrokerProcess {
  readonly host = '127.0.0.1';
  gatewayPort = 0;
  monitoringPort = 0;
  /** Everything the broker printed, over all its runs, in order. */
  stdout = '';
  stderr = '';
  private child: ChildProcess | undefined;
  private exited: Promise<number | string> | undefined;

  private constructor(
    readonly root: string,
    readonly dataDir: string,
    readonly exportJsonlFile: string | undefined,
    private readonly options: BrokerProcessOptions,
  ) {}

  /** Starts a broker on fresh ports and resolves once GET /ready answers 200. */
  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    requireCurrentDist();
    const root = mkdtempSync(join(tmpdir(), 'tributary-broker-'));
    const dataDir = options.dataDir ?? join(root, 'data');
    const exportJsonlFile = options.exportJsonl ? join(root, 'records.jsonl') : undefined;
    const broker = new BrokerProcess(root, dataDir, exportJsonlFile, options);
    try {
      await broker.launch(0, 0);
    } catch (error) {
      await broker.dispose();
      throw error;
    }
    return broker;
  }

  /** host:port of the gateway, as zbctl and the tributary CLI take it. */
  get address(): string {
    return `${this.host}:${this.gatewayPort}`;
  }

  /** The gateway address as @camunda8/sdk takes it (plain text gRPC). */
  get grpcAddress(): string {
    return `grpc://${this.address}`;
  }

  get monitoringUrl(): string {
    return `http://${this.host}:${this.monitoringPort}`;
  }

  /** False once the broker was stopped or killed, or exited on its own. */
  get isRunning(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Graceful stop: SIGTERM, then wait until the process has exited. Resolves with its exit code (0 when it stopped
   * cleanly) or signal; fails if it does not exit in time.
   */
  async stop(): Promise<number | string | undefined> {
    const child = this.child;
    if (child === undefined) return undefined;
    child.kill('SIGTERM');
    const outcome = await Promise.race([this.exited, delay(BROKER_STOP_TIMEOUT_MS).then(() => 'timeout' as const)]);
    if (outcome === 'timeout') {
      await this.kill();
      throw new Error(`Expected the broker to exit within ${BROKER_STOP_TIMEOUT_MS} ms of SIGTERM, but it did not (killed it)${this.outputForError()}`);
    }
    this.child = undefined;
    return outcome;
  }

  /** A crash: SIGKILL, then wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** Starts the broker again on the same data directory, on the same ports when they are still free. */
  async restart(): Promise<void> {
    if (this.child !== undefined) throw new Error('Expected the broker to be stopped or killed before restart()');
    try {
      await this.launch(this.gatewayPort, this.monitoringPort);
    } catch (error) {
      if (!/EADDRINUSE|address already in use/i.test(String(error))) throw error;
      await this.launch(0, 0);
    }
  }

  /** Kills the broker if it runs and removes its temporary directory (not a data directory the test passed in). */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** GET a monitoring endpoint; resolves with its status and body text. */
  async monitoring(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.monitoringUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  }

  /** The records the JSON-lines exporter has written so far (needs exportJsonl). */
  exportedRecords(): ExportedRecord[] {
    if (this.exportJsonlFile === undefined) throw new Error('Expected the broker to be started with exportJsonl: true');
    if (!existsSync(this.exportJsonlFile)) return [];
    return readFileSync(this.exportJsonlFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as ExportedRecord);
  }

  /** The broker's output, for a failure message that shows why. */
  outputForError(): string {
    const tail = (text: string) => (text.length <= OUTPUT_QUOTED_LENGTH_MAX ? text : `...${text.slice(-OUTPUT_QUOTED_LENGTH_MAX)}`);
    return `\n--- broker stdout ---\n${tail(this.stdout)}\n--- broker stderr ---\n${tail(this.stderr)}`;
  }

  private async launch(gatewayPort: number, monitoringPort: number): Promise<void> {
    const args = [
      BIN,
      'broker',
      '--data-dir', this.dataDir,
      '--host', this.host,
      '--port', String(gatewayPort),
      '--monitoring-port', String(monitoringPort),
      ...(this.options.partitions !== undefined ? ['--partitions', String(this.options.partitions)] : []),
      ...(this.exportJsonlFile !== undefined ? ['--export-jsonl', this.exportJsonlFile] : []),
      ...(this.options.args ?? []),
    ];
    const runStart = { stdout: this.stdout.length, stderr: this.stderr.length };
    const child = spawn(process.execPath, args, { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        // A broker that exits on its own (a crash) is no longer running; isRunning tells the test so.
        if (this.child === child) this.child = undefined;
        resolve(signal ?? code ?? 'unknown');
      });
      child.once('error', (error) => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        this.stderr += `\n${String(error)}`;
        resolve('spawn error');
      });
    });
    this.child = child;
    try {
      await this.waitUntilReady(runStart, Date.now() + BROKER_READY_TIMEOUT_MS);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /**
   * Waits for the ready line on stdout, then for GET /ready to answer 200. Fails early if the broker exits, or says
   * a port is taken (a broker that cannot bind its gateway port logs it but does not exit).
   */
  private async waitUntilReady(from: { stdout: number; stderr: number }, deadline: number): Promise<void> {
    let exit: number | string | undefined;
    void this.exited?.then((outcome) => (exit = outcome));
    let lastProblem = 'it printed no ready line';
    while (Date.now() < deadline) {
      if (exit !== undefined) {
        throw new Error(`Expected the broker to start, but it exited (${exit}) before it was ready${this.outputForError()}`);
      }
      if (/EADDRINUSE/.test(this.stderr.slice(from.stderr))) {
        throw new Error(`Expected the broker to start, but a port was taken (EADDRINUSE)${this.outputForError()}`);
      }
      const match = READY_LINE.exec(this.stdout.slice(from.stdout));
      if (match !== null) {
        this.gatewayPort = Number(match[2]);
        this.monitoringPort = Number(match[3]);
        try {
          const { status, body } = await this.monitoring('/ready');
          if (status === 200) return;
          lastProblem = `GET /ready answered ${status}: ${body}`;
        } catch (error) {
          lastProblem = `GET /ready failed: ${String(error)}`;
        }
      }
      await delay(READY_POLL_INTERVAL_MS);
    }
    throw new Error(`Expected the broker to be ready within ${BROKER_READY_TIMEOUT_MS} ms, but ${lastProblem}${this.outputForError()}`);
  }
}

/** Fails with the compiler's output when the global setup could not build dist/, or dist/ is missing. */
function requireCurrentDist(): void {
  let build: DistBuildResult | undefined;
  try {
    build = inject('distBuild');
  } catch {
    build = undefined;
  }
  if (build !== undefined && !build.ok) {
    throw new Error(`Expected dist/ to be built from src/ before starting a broker, but tsc -p tsconfig.build.json failed:\n${build.output}`);
  }
  if (!existsSync(join(REPOSITORY_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('Expected dist/cli/main.js to start a broker, but it is missing: run `npm run build` (or add test/support/global-setup.ts as globalSetup)');
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the check returns a value other than undefined or false; fails with the description after the timeout. */
export async function eventually<T>(description: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await delay(50);
  }
  throw new Error(`Expected ${description} within ${timeoutMs} ms, but it did not happen${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
