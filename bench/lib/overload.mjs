// The overload scenario of issue 3: twice the maximum sustained rate for a minute (settings.overloadS), then the
// maximum rate again. A healthy broker refuses what it cannot take (RESOURCE_EXHAUSTED from the partition's
// back-pressure), keeps the latency of what it accepts bounded, keeps its memory flat, stays up, and is back at the
// maximum rate as soon as the load drops.
/* global clearInterval, fetch, setInterval -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { memoryMiB, removeDirectory, temporaryDirectory } from './processes.mjs';
import { figure } from './stats.mjs';
import { deploy, loadRun, startBroker, stopBroker, unsustainedReason } from './tributary.mjs';
import { say } from './say.mjs';

/** In-flight bound of the closed-loop run that estimates the maximum when the throughput scenario did not run. */
const CLOSED_LOOP_INFLIGHT = 128;
/** How often the broker's memory is read during an overload run. */
const MEMORY_SAMPLE_INTERVAL_MS = 1000;
const BACKPRESSURE_METRICS = ['tributary_backpressure_limit_commands', 'tributary_backpressure_in_flight_commands', 'tributary_backpressure_rejected_commands_total'];

/** The back-pressure figures on the broker's /metrics, summed over its partitions. */
async function backpressureMetrics(broker) {
  const text = await (await fetch(`http://127.0.0.1:${broker.monitoringPort}/metrics`)).text();
  const sums = Object.fromEntries(BACKPRESSURE_METRICS.map((name) => [name, 0]));
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] in sums) sums[match[1]] += Number(match[2]);
  }
  return { limit: sums.tributary_backpressure_limit_commands, inFlight: sums.tributary_backpressure_in_flight_commands, rejected: sums.tributary_backpressure_rejected_commands_total };
}

async function isReady(broker) {
  if (broker.process.exitCode !== null || broker.process.signalCode !== null) return false;
  try {
    return (await fetch(`http://127.0.0.1:${broker.monitoringPort}/ready`)).status === 200;
  } catch {
    return false;
  }
}

/** One overload run at rate with the broker's memory read every second: at its start, middle, end, and the most. */
async function overloadRun(broker, settings, rate) {
  const samples = [memoryMiB(broker.pid).rssMiB];
  const sampler = setInterval(() => samples.push(memoryMiB(broker.pid).rssMiB), MEMORY_SAMPLE_INTERVAL_MS);
  const metricsBefore = await backpressureMetrics(broker);
  let run;
  try {
    run = await loadRun(broker, { rate, warmupS: settings.warmupS, windowS: settings.overloadS });
  } finally {
    clearInterval(sampler);
  }
  samples.push(memoryMiB(broker.pid).rssMiB);
  const metricsAfter = await backpressureMetrics(broker);
  const rejectedByClient = run.errors.ResourceExhausted ?? 0;
  return {
    ...run,
    rejectedPercent: run.started > 0 ? (100 * rejectedByClient) / run.started : NaN,
    acceptedPerS: (run.started - Object.values(run.errors).reduce((sum, count) => sum + count, 0)) / settings.overloadS,
    brokerRejectedCommands: metricsAfter.rejected - metricsBefore.rejected,
    limitAfter: metricsAfter.limit,
    rss: { startMiB: samples[0], middleMiB: samples[Math.floor(samples.length / 2)], endMiB: samples.at(-1), maxMiB: Math.max(...samples) },
    alive: await isReady(broker),
  };
}

/**
 * maxRatePerS is the throughput scenario's maximum sustained rate on 1 partition; without it, 80 % of one closed-loop
 * run stands in (said so in RESULTS.md). Each repeat: an overload run, then a run at the maximum rate.
 */
export async function measureOverload(settings, maxRatePerS) {
  const directory = temporaryDirectory('overload');
  const broker = await startBroker({ directory, partitions: 1 });
  try {
    await deploy(broker);
    let maxRate = maxRatePerS;
    let maxRateSource = 'the maximum sustained rate on 1 partition (throughput scenario)';
    if (!maxRate) {
      const closed = await loadRun(broker, { rate: 0, inflight: CLOSED_LOOP_INFLIGHT, warmupS: settings.warmupS, windowS: settings.windowS });
      maxRate = Math.max(10, Math.round((closed.completedPerS * 0.8) / 10) * 10);
      maxRateSource = `80 % of one closed-loop run (${Math.round(closed.completedPerS)}/s), as the throughput scenario did not run`;
    }
    const overloadRate = 2 * maxRate;
    const runs = [];
    for (let i = 0; i < settings.repeats; i++) {
      const overload = await overloadRun(broker, settings, overloadRate);
      say(`  overload ${i + 1} at ${overloadRate}/s: accepted p50 ${overload.p50Ms} ms, p99 ${overload.p99Ms} ms, ${overload.rejectedPercent.toFixed(1)} % refused, RSS ${Math.round(overload.rss.startMiB)} -> ${Math.round(overload.rss.middleMiB)} -> ${Math.round(overload.rss.endMiB)} MiB, ${overload.alive ? 'ready' : 'NOT READY'}`);
      const recovery = await loadRun(broker, { rate: maxRate, warmupS: settings.warmupS, windowS: settings.windowS });
      recovery.unsustainedReason = unsustainedReason(recovery);
      say(`  then ${maxRate}/s: ${Math.round(recovery.completedPerS)} completed/s, p99 ${recovery.p99Ms} ms${recovery.unsustainedReason ? `, not sustained (${recovery.unsustainedReason})` : ''}`);
      runs.push({ overload, recovery, recoveredFraction: recovery.completedPerS / maxRate, rssEndOverMiddle: overload.rss.endMiB / overload.rss.middleMiB });
    }
    const overloads = runs.map((run) => run.overload);
    return {
      maxRatePerS: maxRate,
      maxRateSource,
      overloadRatePerS: overloadRate,
      overloadS: settings.overloadS,
      runs,
      acceptedP50Ms: figure(overloads, 'p50Ms'),
      acceptedP99Ms: figure(overloads, 'p99Ms'),
      rejectedPercent: figure(overloads, 'rejectedPercent'),
      rssEndOverMiddle: figure(runs, 'rssEndOverMiddle'),
      recoveredFraction: figure(runs, 'recoveredFraction'),
      alwaysAlive: overloads.every((run) => run.alive),
    };
  } finally {
    await stopBroker(broker, { crash: true });
    removeDirectory(directory);
  }
}
