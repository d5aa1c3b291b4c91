// Camunda 7 (the embedded engine with H2 on disk) running the same one-task process as fast as it can: the
// comparison with "a traditional database-backed engine" that issue 3 asks for. bench/camunda7 is a Maven project;
// its jars come from Maven Central on the first build and stay in bench/camunda7/target (git-ignored).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchDirectory } from './paths.mjs';
import { removeDirectory, runToCompletion, temporaryDirectory } from './processes.mjs';
import { figure } from './stats.mjs';
import { say } from './say.mjs';

const CAMUNDA7_DIRECTORY = join(benchDirectory, 'camunda7');
/** What a Camunda 7 run may take beyond its warm-up and window (JVM start, engine and H2 schema, shutdown). */
const CAMUNDA7_STARTUP_ALLOWANCE_S = 120;
const CLASSPATH = `${join(CAMUNDA7_DIRECTORY, 'target', 'classes')}:${join(CAMUNDA7_DIRECTORY, 'target', 'lib')}/*`;

/** Builds bench/camunda7 (Maven resolves camunda-engine and H2 the first time); throws when they do not resolve. */
export async function buildCamunda7() {
  await runToCompletion('mvn', ['-q', '-B', 'package', '-DskipTests'], { cwd: CAMUNDA7_DIRECTORY });
}

/** settings.camundaWarmupS is longer than the broker's warm-up: the JVM's JIT needs seconds before Camunda 7 runs at speed. */
export async function measureCamunda7(settings) {
  const runs = [];
  const failures = [];
  for (let i = 0; i < settings.repeats; i++) {
    const directory = temporaryDirectory('camunda7');
    try {
      const args = ['-cp', CLASSPATH, 'bench.Camunda7Bench', '--dir', directory, '--warmup-s', String(settings.camundaWarmupS), '--seconds', String(settings.windowS)];
      const started = performance.now();
      // The JVM starts in seconds and runs warm-up plus window: two minutes more means it hangs.
      const timeoutMs = (settings.camundaWarmupS + settings.windowS + CAMUNDA7_STARTUP_ALLOWANCE_S) * 1000;
      const { stdout, cpuSeconds } = await runToCompletion('java', args, { timeoutMs });
      const run = JSON.parse(stdout.trim().split('\n').at(-1));
      run.cpuCores = cpuSeconds / ((performance.now() - started) / 1000);
      runs.push(run);
      say(`  Camunda 7 run ${i + 1}: ${Math.round(run.instancesPerS)} instances/s, p50 ${Math.round(run.p50Ms)} ms, p99 ${Math.round(run.p99Ms)} ms`);
    } catch (error) {
      // One failed run (the JVM hung or crashed) leaves the others' figures standing; none at all is a failure.
      failures.push(error.message.split('\n')[0]);
      say(`  Camunda 7 run ${i + 1} failed: ${failures.at(-1)}`);
    } finally {
      removeDirectory(directory);
    }
  }
  if (runs.length === 0) throw new Error(`every Camunda 7 run failed: ${failures.join('; ')}`);
  return { runs, failures, version: runs[0]?.camundaVersion, history: runs[0]?.history, instancesPerS: figure(runs, 'instancesPerS'), p50Ms: figure(runs, 'p50Ms'), p99Ms: figure(runs, 'p99Ms') };
}
