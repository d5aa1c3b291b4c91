// Turns the results into bench/RESULTS.md: machine facts, each target against what was measured, then every
// scenario's figures as median (min to max) over its repeats, the CPU each process used, and the profile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDirectory } from './paths.mjs';
import { round } from './stats.mjs';

const MIB_PER_GB = 1000 ** 3 / 2 ** 20;

/** The figures the issue sets targets for; `measured` is a spread or a number, undefined when not measured. */
export function targets(results) {
  const { throughput1, throughput2, latency, logVsKafka, scale, overload } = results.scenarios;
  const sustained = [throughput1, throughput2].filter((scenario) => scenario?.completedPerS);
  const best = sustained.sort((a, b) => b.completedPerS.median - a.completedPerS.median)[0];
  const scaleNote = scale && scale.instances !== 1_000_000 ? ` (measured with ${scale.instances.toLocaleString('en')} instances, not 1,000,000)` : '';
  return [
    {
      name: `completed instances/s, one broker, fsync on${best ? ` (${best.partitions} partition${best.partitions > 1 ? 's' : ''})` : ''}`,
      target: '>= 2000',
      measured: best?.completedPerS,
      met: (value) => value >= 2000,
    },
    { name: 'p99 latency at half the maximum rate, ms', target: '< 25', measured: latency?.p99Ms, met: (value) => value < 25, explainedIn: 'Latency, pauses per thread; Where the broker spends its time' },
    { name: 'log appends / Kafka producer, both fsync', target: '>= 1.0', measured: logVsKafka?.fsync?.ratio, met: (value) => value >= 1 },
    { name: `resident memory with the waiting instances, MiB${scaleNote}`, target: `< ${Math.round(2 * MIB_PER_GB)} (2 GB)`, measured: scale?.memoryAfterLoad?.rssMiB, met: (value) => value < 2 * MIB_PER_GB, comparable: !scaleNote },
    { name: `restart to ready with the waiting instances, ms${scaleNote}`, target: '< 5000', measured: scale?.readyMs, met: (value) => value < 5000, comparable: !scaleNote },
    { name: 'throughput 2 partitions / 1 partition', target: '>= 1.7', measured: results.scenarios.partitions?.ratio, met: (value) => value >= 1.7, explainedIn: 'Partitions, CPU ceiling' },
    { name: 'overload at twice the maximum rate: p99 of accepted instances, ms', target: '< 1000', measured: overload?.acceptedP99Ms, met: (value) => value < 1000, explainedIn: 'Overload' },
    { name: 'overload: RSS at the end / in the middle (flat memory)', target: '<= 1.1', measured: overload?.rssEndOverMiddle, met: (value) => value <= 1.1 },
    { name: 'overload: broker still ready after every run (1 yes, 0 no)', target: '= 1', measured: overload ? Number(overload.alwaysAlive) : undefined, met: (value) => value === 1 },
    { name: 'after overload, completed at the maximum rate / that rate', target: '>= 0.95', measured: overload?.recoveredFraction, met: (value) => value >= 0.95, explainedIn: 'Overload' },
    { name: 'completed instances/s, Tributary / Camunda 7 (embedded, H2)', target: '>= 200 (the seed: "a few hundred times")', measured: camunda7Ratio(results, best), met: (value) => value >= 200, explainedIn: 'Camunda 7 side by side' },
  ];
}

/** Tributary's best maximum sustained rate over Camunda 7's instances per second, when both were measured. */
function camunda7Ratio(results, best) {
  const camunda = results.scenarios.camunda7?.instancesPerS?.median;
  const tributary = best?.completedPerS?.median;
  return camunda > 0 && tributary > 0 ? tributary / camunda : undefined;
}

function formatSpread(value) {
  if (value === undefined) return 'not measured';
  if (typeof value === 'number') return String(round(value));
  if (value.count === 0) return 'not measured';
  return value.count === 1 ? String(round(value.median)) : `${round(value.median)} (${round(value.min)} to ${round(value.max)})`;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function verdict(target) {
  const value = typeof target.measured === 'number' ? target.measured : target.measured?.median;
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  const met = target.met(value) ? 'met' : `missed${target.explainedIn ? ` (why: ${target.explainedIn})` : ''}`;
  return target.comparable === false ? `${met} at this scale only` : met;
}

function runRows(runs) {
  return runs.map((run, index) => [
    index + 1,
    run.targetRatePerS || 'max',
    round(run.completedPerS),
    round(run.p50Ms),
    round(run.p99Ms),
    round(run.maxMs),
    round(run.brokerCpuCores),
    round(run.clientCpuCores),
    round(run.otherCpuCores),
    Object.keys(run.errors).length ? JSON.stringify(run.errors).replace(/"/g, '') : run.unsustainedReason ?? '',
  ]);
}

const RUN_HEADER = ['run', 'offered/s', 'completed/s', 'p50 ms', 'p99 ms', 'max ms', 'broker CPU cores', 'loadgen CPU cores', 'other CPU cores', 'errors / not sustained'];

function throughputSection(scenario, settings) {
  if (!scenario) return 'Not run.';
  const lines = [
    `Closed loop (${scenario.closedLoopInflight} in flight, the capacity estimate): ${formatSpread(scenario.capacityPerS)} completed/s.`,
    '',
    table(RUN_HEADER, runRows(scenario.capacityRuns)),
    '',
  ];
  if (scenario.search.length > 0) {
    lines.push(`Rate search (open loop, from the capacity in steps of ${Math.round(settings.searchStepFraction * 100)} %, then halfway to the failed step above): ${scenario.search.map((step) => `${step.rate}/s ${step.sustained ? 'sustained' : `no (${step.reason})`}`).join('; ')}.`, '');
  }
  if (scenario.failure) return [...lines, `**Failed:** ${scenario.failure}.`].join('\n');
  const limit = scenario.search.every((step) => step.sustained) ? ' (the highest rate the search tried: the broker may sustain more)' : '';
  for (const { rate, failedRepeats, repeats } of scenario.steppedDown ?? []) {
    lines.push(`${rate}/s was sustained in the search, but ${failedRepeats} of its ${repeats} repeats were not: the repeats moved down half a step.`, '');
  }
  lines.push(`Maximum sustained rate: **${scenario.sustainedRatePerS}/s**${limit}, run ${scenario.runs.length} times:`, '', table(RUN_HEADER, runRows(scenario.runs)));
  return lines.join('\n');
}

function scaleSection(scale) {
  if (!scale) return 'Not run.';
  const fill = scale.fill;
  return [
    `${scale.instances.toLocaleString('en')} instances of \`bench-waiting\` (no worker takes its jobs), created in ${round(fill.seconds)} s (${round(fill.ratePerS)}/s, ${fill.retried} retries after RESOURCE_EXHAUSTED, ${fill.failed} failed). Data directory: ${round(scale.dataDirectoryMiB)} MiB.`,
    '',
    table(['moment', 'RSS MiB', 'peak RSS MiB'], [
      ['empty broker, before creating', round(scale.memoryBefore.rssMiB), round(scale.memoryBefore.peakRssMiB)],
      ['after creating them', round(scale.memoryAfterFill.rssMiB), round(scale.memoryAfterFill.peakRssMiB)],
      ['after the latency runs', round(scale.memoryAfterLoad.rssMiB), round(scale.memoryAfterLoad.peakRssMiB)],
      ['after a graceful restart (median)', formatSpread(scale.rssAfterRestartMiB), ''],
    ]),
    '',
    `RSS growth over the empty broker, per waiting instance: ${round(((scale.memoryAfterLoad.rssMiB - scale.memoryBefore.rssMiB) * 1024) / scale.instances)} KiB (an average: RSS also holds garbage and caches, so it need not grow in proportion to the count).`,
    '',
    `New instances at ${scale.runs[0]?.targetRatePerS}/s with that state: p50 ${formatSpread(scale.p50Ms)} ms, p99 ${formatSpread(scale.p99Ms)} ms.`,
    '',
    table(RUN_HEADER, runRows(scale.runs)),
    '',
    table(['restart', 'kind', 'stop ms', 'start to ready ms', 'waiting jobs activated after', 'RSS MiB'], scale.restarts.map((restart, index) => [
      index + 1,
      restart.crash ? 'after SIGKILL' : 'graceful (SIGTERM)',
      restart.crash ? '' : round(restart.stopMs),
      round(restart.readyMs),
      restart.jobsActivatedAfterRestart,
      round(restart.rssMiB),
    ])),
  ].join('\n');
}

function logVsKafkaSection(scenario, kafkaVersion, settings) {
  if (!scenario) return 'Not run.';
  const { shape } = scenario;
  const rows = [];
  for (const [mode, label] of [['fsync', 'fsync before the ack (log: fdatasync per group commit; Kafka: flush.messages=1)'], ['pageCache', 'no fsync (log: fsync off; Kafka: its default, page cache only)']]) {
    const result = scenario[mode];
    rows.push([label, formatSpread(result.logRecordsPerS), formatSpread(result.kafkaRecordsPerS), formatSpread(result.ratio)]);
  }
  const perRun = [];
  for (const mode of ['fsync', 'pageCache']) {
    scenario[mode].runs.forEach((run, index) => {
      perRun.push([mode, index + 1, round(run.log.recordsPerS), round(run.log.recordsPerFlush), round(run.log.cpuSeconds), round(run.kafka.recordsPerS), round(run.kafka.p99LatencyMs), round(run.kafka.producerCpuSeconds), round(run.kafka.brokerCpuSeconds), round(run.ratio)]);
    });
  }
  return [
    `Records of ${shape.recordBytes} bytes into one partition: ${scenario.logRecords.toLocaleString('en')} per log run after ${scenario.logWarmupRecords.toLocaleString('en')} warm-up records; per Kafka run as many as take about ${settings.kafkaRunS} s after about ${settings.kafkaWarmupS} s of warm-up records (for the JVMs' JIT) at the rate a short probe run measured (fsync: ${scenario.fsync.kafkaRecords.records.toLocaleString('en')} after ${scenario.fsync.kafkaRecords.warmupRecords.toLocaleString('en')}, page cache: ${scenario.pageCache.kafkaRecords.records.toLocaleString('en')} after ${scenario.pageCache.kafkaRecords.warmupRecords.toLocaleString('en')}); batches of ${shape.batchBytes} bytes, at most ${shape.bufferBytes / 2 ** 20} MiB appended and not yet acknowledged (Kafka's buffer.memory).`,
    `Kafka ${kafkaVersion}: single-node KRaft broker on 127.0.0.1 (1 GiB heap), kafka-producer-perf-test with ${Object.entries(scenario.producerProperties).map(([name, value]) => `${name}=${value}`).join(' ')}; its steady-state records/s.`,
    'The log: bench/log-append.mjs appends to one SegmentedLog in-process and calls flush() after each batch, so batches appended during an fdatasync share the next one (group commit); Kafka adds the loopback network and request handling, which is what an append through its producer costs.',
    '',
    table(['durability', 'log records/s', 'Kafka records/s', 'log / Kafka'], rows),
    '',
    table(['mode', 'run', 'log records/s', 'log records per fsync', 'log CPU s', 'Kafka records/s', 'Kafka p99 ms', 'producer CPU s', 'Kafka broker CPU s', 'ratio'], perRun),
  ].join('\n');
}

function overloadSection(overload, settings) {
  if (!overload) return 'Not run.';
  const rows = overload.runs.map(({ overload: run, recovery }, index) => [
    index + 1,
    run.targetRatePerS,
    round(run.acceptedPerS),
    round(run.p50Ms),
    round(run.p99Ms),
    `${round(run.rejectedPercent)} %`,
    run.brokerRejectedCommands,
    run.limitAfter,
    `${round(run.rss.startMiB)} / ${round(run.rss.middleMiB)} / ${round(run.rss.endMiB)} (max ${round(run.rss.maxMiB)})`,
    round(run.brokerCpuCores),
    run.alive ? 'yes' : '**no**',
    `${round(recovery.completedPerS)} (p99 ${round(recovery.p99Ms)} ms${recovery.unsustainedReason ? `, not sustained: ${recovery.unsustainedReason}` : ''})`,
  ]);
  return [
    `Offered ${overload.overloadRatePerS}/s, twice the maximum of ${overload.maxRatePerS}/s (${overload.maxRateSource}), for ${overload.overloadS} s after ${settings.warmupS} s of warm-up, open loop, on 1 partition with the default back-pressure (AIMD); then ${overload.maxRatePerS}/s for ${settings.windowS} s. Latency counts the instances the broker accepted; refused ones are answered RESOURCE_EXHAUSTED at once and count in the refused share (the Go client does not retry them).`,
    '',
    `Accepted instances: p50 **${formatSpread(overload.acceptedP50Ms)} ms**, p99 **${formatSpread(overload.acceptedP99Ms)} ms**; refused: ${formatSpread(overload.rejectedPercent)} % of those offered; after the overload, ${formatSpread(overload.recoveredFraction)} of the maximum rate completed.`,
    '',
    table(['run', 'offered/s', 'accepted/s', 'p50 ms', 'p99 ms', 'refused', 'commands refused (broker)', 'limit after', 'RSS MiB start / middle / end', 'broker CPU cores', 'ready after', 'then completed/s at the maximum'], rows),
  ].join('\n');
}

function camunda7Section(camunda7, results) {
  if (!camunda7) return 'Not run.';
  if (camunda7.failure) return `**Not measured:** ${camunda7.failure}.`;
  const ratio = camunda7Ratio(results, [results.scenarios.throughput1, results.scenarios.throughput2].filter((scenario) => scenario?.completedPerS).sort((a, b) => b.completedPerS.median - a.completedPerS.median)[0]);
  const rows = camunda7.runs.map((run, index) => [index + 1, round(run.instancesPerS), round(run.p50Ms), round(run.p99Ms), round(run.cpuCores), run.lockConflicts, run.fetchFailures ?? 0]);
  return [
    `Camunda ${camunda7.version}, embedded engine (bench/camunda7, Java 17) with H2 in files (${camunda7.history} history), the same process built with its model API: start, an external task, end. ${camunda7.runs[0]?.starters} threads start instances (at most ${camunda7.runs[0]?.inflightMax} unfinished), ${camunda7.runs[0]?.workers} threads fetch-and-lock and complete the tasks, all in one JVM (no REST hop, which favours Camunda 7); completed instances counted over ${results.settings.windowS} s after ${results.settings.camundaWarmupS} s of warm-up, in a fresh JVM and database per run. H2, as configured by default, writes commits to disk after a delay rather than fsyncing each one, so Camunda 7 runs with less durability than Tributary's fsync before every answer.`,
    '',
    `Camunda 7: **${formatSpread(camunda7.instancesPerS)} instances/s**; Tributary's maximum sustained rate over it: **${ratio === undefined ? 'not measured (the throughput scenario did not run)' : round(ratio)}**.`,
    '',
    table(['run', 'instances/s', 'p50 ms', 'p99 ms', 'JVM CPU cores', 'fetch-and-lock conflicts', 'fetches or completions failed'], rows),
    '',
    ...(camunda7.failures?.length ? [`Runs that failed and are not counted: ${camunda7.failures.join('; ')}.`, ''] : []),
    "Why the ratio is far below the seed's \"a few hundred times\": that claim is about Camunda 7 as usually deployed, with its database over the network, a synchronous commit per transaction and clients over REST, where every step of an instance waits for a database round trip. Here Camunda 7 gets its cheapest possible setup: the engine, its in-process H2 database (no network, no fsync per commit) and the workers in one JVM. So the ratio compares the two engines' own code paths, with Tributary paying for an fsync and a gRPC round trip before every answer and Camunda 7 paying for neither. A networked database would move the comparison toward the seed's, but there is no database server on this machine to measure it with.",
  ].join('\n');
}

/**
 * The ratio, and the most it could be on this machine: a second partition only adds throughput with spare cores, so
 * the ceiling is the cores there are over the cores one partition's maximum already keeps busy (broker, load
 * generator and the rest of the machine, all of which grow with the rate).
 */
function partitionsSection(scenarios, machine) {
  const { partitions, throughput1 } = scenarios;
  if (!partitions) return 'Not run.';
  const lines = [`Maximum sustained rate with 2 partitions / with 1: **${formatSpread(partitions.ratio)}**${partitions.note ? ` (${partitions.note})` : ''}.`];
  const runs = throughput1?.runs ?? [];
  if (runs.length > 0) {
    const busy = runs.map((run) => run.brokerCpuCores + run.clientCpuCores + run.otherCpuCores).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    lines.push(
      '',
      `CPU ceiling: at its maximum rate, 1 partition already keeps ${round(busy)} of the machine's ${machine.logicalCores} cores busy (broker, load generator and the rest, median of its runs), so a second partition can add at most ${round(machine.logicalCores / busy)}x on this machine, whatever the broker does. Partitions scale with cores: the ratio measures the machine, not the broker, once the first partition uses most of them.`,
    );
  }
  return lines.join('\n');
}

function workerWords(worker) {
  return worker === 'poll' ? 'its jobs by long polling (ActivateJobs, the 8.3 Go client\'s worker)' : 'its jobs pushed to a job stream (StreamActivatedJobs)';
}

function latencySection(latency, latencyPoll) {
  if (!latency) return 'Not run.';
  const lines = [
    `${latency.ratePerS}/s on 1 partition, the load generator's worker taking ${workerWords(latency.worker)}: p50 **${formatSpread(latency.p50Ms)} ms**, p99 **${formatSpread(latency.p99Ms)} ms** (the target's figure).`,
    '',
    table(RUN_HEADER, runRows(latency.runs)),
  ];
  if (latencyPoll) {
    lines.push(
      '',
      `The same rate with the worker taking ${workerWords(latencyPoll.worker)}: p50 **${formatSpread(latencyPoll.p50Ms)} ms**, p99 **${formatSpread(latencyPoll.p99Ms)} ms**. A long-polling worker asks again only after one of its jobs completes, so a job can wait for a whole CompleteJob round trip before it is even activated.`,
      '',
      table(RUN_HEADER, runRows(latencyPoll.runs)),
    );
  }
  const gcRows = latency.runs.flatMap((run, index) =>
    (run.gc ?? []).map((thread) => [index + 1, thread.thread, thread.young.count, round(thread.young.totalMs), round(thread.young.maxMs), thread.full.count, round(thread.full.totalMs), round(thread.full.maxMs), round(thread.pauseMsPerS)]),
  );
  if (gcRows.length === 0) return lines.join('\n');
  return [
    ...lines,
    '',
    "The garbage collector's stop-the-world pauses in each run (the broker under `node --trace-gc`; young = scavenges, full = mark-compact), per thread. A request held by a thread while it pauses waits for the pause, so the longest pauses bound what p99 can be:",
    '',
    table(['run', 'thread', 'young pauses', 'young ms total', 'young ms max', 'full pauses', 'full ms total', 'full ms max', 'pause ms per s'], gcRows),
  ].join('\n');
}

function profileSection(profile) {
  if (!profile) return 'Not run.';
  // Results written before profiles were taken per thread hold one profile at the top level.
  const threads = profile.threads ?? [{ thread: 'main', ...profile }];
  return [
    `One closed-loop run (${round(profile.run.completedPerS)} completed/s; the profiler costs some throughput) against a broker started with \`node --cpu-prof\`, which profiles every thread; only the samples taken under load count (not the broker's start and stop). The profiles are kept in bench/.build/profiles (git-ignored); \`node bench/profile-summary.mjs FILE\` prints a summary again.`,
    ...threads.flatMap((thread) => ['', threadProfile(thread)]),
  ].join('\n');
}

function threadProfile(profile) {
  return [
    `### ${profile.thread}: ${profile.busyMs} ms busy of ${profile.totalMs} ms`,
    '',
    table(['self time by area', '% of busy'], profile.areas.map((area) => [area.area, area.percentOfBusy])),
    '',
    table(['function', 'where', 'self ms', '% of busy'], profile.topFunctions.map((entry) => [`\`${entry.function}\``, entry.location, entry.selfMs, entry.percentOfBusy])),
    '',
    "The same samples charged to the nearest function of Tributary's own code above them (so a Buffer write or a RocksDB call counts for the function that made it):",
    '',
    table(['function of ours', 'self ms', '% of busy'], profile.ownFunctions.map((entry) => [`\`${entry.frame}\``, entry.selfMs, entry.percentOfBusy])),
  ].join('\n');
}

export function renderResults(results) {
  const { machine, scenarios, settings } = results;
  return [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${settings.quick ? ' -- --quick' : ''}\` on ${results.generatedAt} in ${round(results.wallSeconds)} s; every figure is the median (min to max) of ${settings.repeats} runs unless it says otherwise. Raw data: bench/results.json.${settings.quick ? ' **Quick mode**: short windows, a coarse rate search and 100,000 instances for the scale of state.' : ''}`,
    '',
    `Code: commit ${results.code.commit} (${results.code.subject})${results.code.srcFilesChanged > 0 ? `, with ${results.code.srcFilesChanged} files under src/ changed or added` : ''}; the brokers and the log benchmark ran from a copy of dist/ taken at the start.`,
    '',
    '## Machine',
    '',
    table(['what', 'value'], [
      ['CPU', `${machine.cpuModel}, ${machine.logicalCores} logical cores`],
      ['memory', `${machine.memoryGiB} GiB`],
      ['disk', machine.disk],
      ['fdatasync of 4 KiB', `p50 ${machine.fdatasyncMicroseconds.p50} µs, p99 ${machine.fdatasyncMicroseconds.p99} µs`],
      ['CPU busy before the run (other processes)', `${round(machine.busyCoresBeforeStart)} cores${machine.busyCoresBeforeStart > 0.2 ? ' (**a shared, busy machine: figures are lower than on an idle one**)' : ''}`],
      ['kernel', machine.kernel],
      ['Node', machine.node],
      ['Go (load generator)', machine.go],
      ['Java (Kafka)', machine.java],
    ]),
    '',
    '## Targets (issue 3)',
    '',
    table(['figure', 'target', 'measured', 'verdict'], targets(results).map((target) => [target.name, target.target, formatSpread(target.measured), verdict(target)])),
    '',
    '## How it was measured',
    '',
    `- Broker: \`tributary broker\` from the copy of dist/, one process: the gateway on the main thread and the partitions on worker threads (\`--partition-threads\`, one per partition up to the cores), fsync on, on free ports of 127.0.0.1 with a fresh temporary data directory; ${settings.warmupS} s of load before each ${settings.windowS} s measurement window.`,
    '- Client: bench/loadgen, a Go program using the official Zeebe Go client (github.com/camunda/zeebe/clients/go/v8 v8.3.0; its job worker long-polls ActivateJobs: 1,024 jobs held at most, 256 CompleteJob calls at once). The 8.3 client predates job streaming, so for the latency scenario the load generator also has a worker of its own on StreamActivatedJobs (the request encoded by hand, the jobs decoded with the generated types of the client and completed with it): jobs are pushed to it as they are created, up to 256 CompleteJob calls at once.',
    '- An instance is one CreateProcessInstanceWithResult call of `bench-one-task` (start, service task, end): the gateway answers when the instance has completed, so the call\'s round trip is the instance latency from create to completion and the count of answers in the window is the completed instances. Open-loop runs start instances on a fixed schedule and measure from the scheduled time, so a generator held back by its in-flight bound (1,024) counts the wait as latency.',
    '- Sustained: p99 under 1 s (Zeebe\'s "healthy"), the schedule kept (97 %), at least 95 % of the offered rate completed, at most 0.1 % errors.',
    '- CPU: the broker\'s and Kafka\'s from /proc/PID/stat over each run, the short-lived processes\' (load generator, producer tool, log appender) from the benchmark\'s reaped-children times; "cores" is CPU seconds per wall second. "Other" is the rest of the machine\'s busy time in /proc/stat during the run (kernel work not charged to a process, and anything else running): on a shared machine, a large value means the run was disturbed.',
    '',
    '## Throughput, 1 partition',
    '',
    throughputSection(scenarios.throughput1, settings),
    '',
    '## Throughput, 2 partitions',
    '',
    throughputSection(scenarios.throughput2, settings),
    '',
    '## Partitions',
    '',
    partitionsSection(scenarios, machine),
    '',
    '## Latency at half the maximum rate',
    '',
    latencySection(scenarios.latency, scenarios.latencyPoll),
    '',
    '## Overload: twice the maximum rate',
    '',
    overloadSection(scenarios.overload, settings),
    '',
    '## Log versus Kafka',
    '',
    logVsKafkaSection(scenarios.logVsKafka, results.kafkaVersion, settings),
    '',
    '## Camunda 7 side by side',
    '',
    camunda7Section(scenarios.camunda7, results),
    '',
    '## Scale of state',
    '',
    scaleSection(scenarios.scale),
    '',
    '## Where the broker spends its time',
    '',
    profileSection(scenarios.profile),
    '',
    // Written by hand (what the measurements led to), so it survives each run's regeneration of this file.
    readFileSync(join(benchDirectory, 'what-changed.md'), 'utf8'),
  ].join('\n');
}

/** The last line bench prints, for tools: NaN where a figure was not measured. */
export function resultLine(results) {
  const value = (measured) => (typeof measured === 'number' ? measured : measured?.median ?? NaN);
  const [throughput, latency, logVsKafka] = targets(results);
  const format = (number, digits) => (Number.isFinite(number) ? number.toFixed(digits) : 'NaN');
  return `RESULT pi_per_s=${format(value(throughput.measured), 0)} p99_ms=${format(value(latency.measured), 1)} log_vs_kafka=${format(value(logVsKafka.measured), 2)}`;
}
