/**
 * A tiny, dependency-free Prometheus registry: counters, gauges and histograms with fixed buckets, with labels, and
 * the text exposition format 0.0.4 (HELP and TYPE lines, escaped label values, cumulative buckets).
 *
 * Names follow Prometheus conventions and end with their unit: `tributary_records_processed_total`,
 * `tributary_processing_latency_seconds`. Misuse (a bad name, a counter going down, labels that do not match the
 * declared label names) is a programmer error and throws.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus' default buckets, meant for latencies in seconds. */
export const DEFAULT_LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every distinct label combination is one series held in memory until the process ends; a label fed from user
 * input (a job type, a process id) could grow without end, so each metric has a bound and refuses more.
 */
export const SERIES_PER_METRIC_MAX = 10_000;

export type Labels = { readonly [labelName: string]: string | number };

/** A value computed at scrape time, for numbers that live elsewhere (an exporter's position, a queue's length). */
export interface Sample {
  labels?: Labels;
  value: number;
}

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface CounterOptions<L extends string> extends MetricOptions<L> {
  /** Samples appended to the recorded series at every scrape (totals counted elsewhere). */
  collect?: () => Iterable<Sample>;
}

export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /** Samples appended to the recorded series at every scrape (values read from elsewhere). */
  collect?: () => Iterable<Sample>;
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds of the buckets, ascending; the +Inf bucket is added. Defaults to latency buckets in seconds. */
  bucketsUpperBounds?: readonly number[];
}

type MetricType = 'counter' | 'gauge' | 'histogram';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  private readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(options: MetricOptions<L>) {
    if (!METRIC_NAME.test(options.name)) throw new Error(`Expected a Prometheus metric name, but got '${options.name}'`);
    for (const labelName of options.labelNames ?? []) {
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__') || labelName === 'le') {
        throw new Error(`Expected a usable label name for metric '${options.name}', but got '${labelName}'`);
      }
    }
    if (new Set(options.labelNames).size !== (options.labelNames ?? []).length) {
      throw new Error(`Expected distinct label names for metric '${options.name}'`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  protected abstract initialState(): S;

  /** Lines of this metric's samples, without HELP and TYPE. */
  abstract sampleLines(): string[];

  protected stateFor(labels: Labels): S {
    const key = this.seriesKey(labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (this.series.size >= SERIES_PER_METRIC_MAX) {
        throw new Error(`Expected at most ${SERIES_PER_METRIC_MAX} label combinations for metric '${this.name}'`);
      }
      entry = { labels: this.orderedLabels(labels), state: this.initialState() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected recordedSeries(): Iterable<{ labels: Labels; state: S }> {
    // An unlabelled metric always shows its one series, so a scrape sees 0 rather than nothing.
    if (this.labelNames.length === 0 && this.series.size === 0) this.stateFor({});
    return this.series.values();
  }

  /** The labels in declared order, so every series of a metric prints its labels alike. */
  protected orderedLabels(labels: Labels): Labels {
    const given = Object.keys(labels);
    const matches = given.length === this.labelNames.length && this.labelNames.every((name) => name in labels);
    if (!matches) {
      throw new Error(
        `Expected labels [${this.labelNames.join(', ')}] for metric '${this.name}', but got [${given.join(', ')}]`,
      );
    }
    return Object.fromEntries(this.labelNames.map((name) => [name, labels[name]]));
  }

  protected collectedLines(collect: (() => Iterable<Sample>) | undefined): string[] {
    const lines: string[] = [];
    for (const sample of collect?.() ?? []) lines.push(sampleLine(this.name, this.orderedLabels(sample.labels ?? {}), sample.value));
    return lines;
  }

  private seriesKey(labels: Labels): string {
    this.orderedLabels(labels);
    return this.labelNames.map((name) => String(labels[name])).join('\u0000');
  }
}

export class Counter<L extends string = string> extends Metric<L, { value: number }> {
  readonly type = 'counter';
  private readonly collect: (() => Iterable<Sample>) | undefined;

  constructor(options: CounterOptions<L>) {
    super(options);
    if (!options.name.endsWith('_total')) throw new Error(`Expected counter name '${options.name}' to end with '_total'`);
    this.collect = options.collect;
  }

  /** Adds to the unlabelled series. */
  inc(amount = 1): void {
    this.labels({} as { [name in L]: string | number }).inc(amount);
  }

  labels(labels: { [name in L]: string | number }): { inc(amount?: number): void } {
    const state = this.stateFor(labels);
    return {
      inc: (amount = 1) => {
        if (!(amount >= 0)) throw new Error(`Expected a counter to grow, but '${this.name}' was given ${amount}`);
        state.value += amount;
      },
    };
  }

  protected initialState(): { value: number } {
    return { value: 0 };
  }

  sampleLines(): string[] {
    const lines = [...this.recordedSeries()].map(({ labels, state }) => sampleLine(this.name, labels, state.value));
    return [...lines, ...this.collectedLines(this.collect)];
  }
}

export class Gauge<L extends string = string> extends Metric<L, { value: number }> {
  readonly type = 'gauge';
  private readonly collect: (() => Iterable<Sample>) | undefined;

  constructor(options: GaugeOptions<L>) {
    super(options);
    this.collect = options.collect;
  }

  set(value: number): void {
    this.labels({} as { [name in L]: string | number }).set(value);
  }

  inc(amount = 1): void {
    this.labels({} as { [name in L]: string | number }).inc(amount);
  }

  dec(amount = 1): void {
    this.labels({} as { [name in L]: string | number }).dec(amount);
  }

  labels(labels: { [name in L]: string | number }): { set(value: number): void; inc(amount?: number): void; dec(amount?: number): void } {
    const state = this.stateFor(labels);
    return {
      set: (value) => {
        state.value = value;
      },
      inc: (amount = 1) => {
        state.value += amount;
      },
      dec: (amount = 1) => {
        state.value -= amount;
      },
    };
  }

  protected initialState(): { value: number } {
    return { value: 0 };
  }

  sampleLines(): string[] {
    const lines = [...this.recordedSeries()].map(({ labels, state }) => sampleLine(this.name, labels, state.value));
    return [...lines, ...this.collectedLines(this.collect)];
  }
}

interface HistogramState {
  /** Per bucket, the observations that fell into it (not cumulative; summed up at exposition). */
  bucketCounts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = string> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  readonly bucketsUpperBounds: readonly number[];

  constructor(options: HistogramOptions<L>) {
    super(options);
    if (options.name.endsWith('_total') || options.name.endsWith('_bucket') || options.name.endsWith('_count')) {
      throw new Error(`Expected histogram name '${options.name}' not to end with a reserved suffix`);
    }
    const bounds = options.bucketsUpperBounds ?? DEFAULT_LATENCY_BUCKETS_SECONDS;
    const ascending = bounds.every((bound, index) => Number.isFinite(bound) && (index === 0 || bound > bounds[index - 1]));
    if (bounds.length === 0 || !ascending) {
      throw new Error(`Expected finite, strictly ascending bucket bounds for histogram '${options.name}'`);
    }
    this.bucketsUpperBounds = [...bounds];
  }

  observe(value: number): void {
    this.labels({} as { [name in L]: string | number }).observe(value);
  }

  labels(labels: { [name in L]: string | number }): { observe(value: number): void } {
    const state = this.stateFor(labels);
    return {
      observe: (value) => {
        if (Number.isNaN(value)) throw new Error(`Expected a number to observe in histogram '${this.name}', but got NaN`);
        const bucket = this.bucketsUpperBounds.findIndex((bound) => value <= bound);
        state.bucketCounts[bucket === -1 ? this.bucketsUpperBounds.length : bucket] += 1;
        state.sum += value;
        state.count += 1;
      },
    };
  }

  protected initialState(): HistogramState {
    return { bucketCounts: new Array<number>(this.bucketsUpperBounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  sampleLines(): string[] {
    const lines: string[] = [];
    for (const { labels, state } of this.recordedSeries()) {
      let cumulative = 0;
      for (let index = 0; index <= this.bucketsUpperBounds.length; index++) {
        cumulative += state.bucketCounts[index];
        const bound = index < this.bucketsUpperBounds.length ? formatNumber(this.bucketsUpperBounds[index]) : '+Inf';
        lines.push(sampleLine(`${this.name}_bucket`, { ...labels, le: bound }, cumulative));
      }
      lines.push(sampleLine(`${this.name}_sum`, labels, state.sum));
      lines.push(sampleLine(`${this.name}_count`, labels, state.count));
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Counter<string> | Gauge<string> | Histogram<string>>();

  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return this.register(new Counter(options));
  }

  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.register(new Gauge(options));
  }

  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.register(new Histogram(options));
  }

  /** The text exposition format 0.0.4, served with PROMETHEUS_CONTENT_TYPE. */
  exposition(): string {
    let text = '';
    for (const metric of this.metrics.values()) {
      text += `# HELP ${metric.name} ${escapeHelp(metric.help)}\n# TYPE ${metric.name} ${metric.type}\n`;
      for (const line of metric.sampleLines()) text += `${line}\n`;
    }
    return text;
  }

  private register<M extends Counter<any> | Gauge<any> | Histogram<any>>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`Expected metric '${metric.name}' to be registered once`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([labelName, labelValue]) => `${labelName}="${escapeLabelValue(String(labelValue))}"`);
  return `${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${formatNumber(value)}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
