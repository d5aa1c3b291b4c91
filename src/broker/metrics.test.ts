import { describe, expect, test } from 'vitest';
import { MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  test('exposes a counter with HELP and TYPE lines and labelled series', () => {
    // given
    const registry = new MetricsRegistry();
    const processed = registry.counter({
      name: 'tributary_records_processed_total',
      help: 'Records processed by the stream processor.',
      labelNames: ['partition', 'valueType'],
    });

    // when
    processed.labels({ partition: 1, valueType: 'JOB' }).inc();
    processed.labels({ valueType: 'JOB', partition: 1 }).inc(2);
    processed.labels({ partition: 2, valueType: 'PROCESS_INSTANCE' }).inc();

    // then
    expect(registry.exposition()).toBe(
      '# HELP tributary_records_processed_total Records processed by the stream processor.\n' +
        '# TYPE tributary_records_processed_total counter\n' +
        'tributary_records_processed_total{partition="1",valueType="JOB"} 3\n' +
        'tributary_records_processed_total{partition="2",valueType="PROCESS_INSTANCE"} 1\n',
    );
  });

  test('shows an unlabelled metric as 0 before anything is recorded', () => {
    const registry = new MetricsRegistry();
    registry.gauge({ name: 'tributary_partitions_leading', help: 'Partitions this broker leads.' });

    expect(registry.exposition()).toContain('\ntributary_partitions_leading 0\n');
  });

  test('exposes a histogram with cumulative buckets, +Inf, sum and count', () => {
    // given
    const registry = new MetricsRegistry();
    const latency = registry.histogram({
      name: 'tributary_processing_latency_seconds',
      help: 'Time from append to processed.',
      labelNames: ['partition'],
      bucketsUpperBounds: [0.01, 0.1, 1],
    });

    // when
    for (const seconds of [0.005, 0.01, 0.05, 0.5, 3]) latency.labels({ partition: 1 }).observe(seconds);

    // then
    expect(registry.exposition()).toBe(
      '# HELP tributary_processing_latency_seconds Time from append to processed.\n' +
        '# TYPE tributary_processing_latency_seconds histogram\n' +
        'tributary_processing_latency_seconds_bucket{partition="1",le="0.01"} 2\n' +
        'tributary_processing_latency_seconds_bucket{partition="1",le="0.1"} 3\n' +
        'tributary_processing_latency_seconds_bucket{partition="1",le="1"} 4\n' +
        'tributary_processing_latency_seconds_bucket{partition="1",le="+Inf"} 5\n' +
        'tributary_processing_latency_seconds_sum{partition="1"} 3.565\n' +
        'tributary_processing_latency_seconds_count{partition="1"} 5\n',
    );
  });

  test('escapes label values and help text', () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: 'tributary_test_value', help: 'A back\\slash\nand a newline.', labelNames: ['jobType'] });

    gauge.labels({ jobType: 'say "hi"\\\n' }).set(-1.5);

    const text = registry.exposition();
    expect(text).toContain('# HELP tributary_test_value A back\\\\slash\\nand a newline.\n');
    expect(text).toContain('tributary_test_value{jobType="say \\"hi\\"\\\\\\n"} -1.5\n');
  });

  test('appends samples collected at scrape time', () => {
    // given
    const registry = new MetricsRegistry();
    let lag = 4;
    registry.gauge({
      name: 'tributary_exporter_lag_records',
      help: 'Records not exported yet.',
      labelNames: ['exporter'],
      collect: () => [{ labels: { exporter: 'json-lines' }, value: lag }],
    });

    // when
    const first = registry.exposition();
    lag = 0;
    const second = registry.exposition();

    // then
    expect(first).toContain('tributary_exporter_lag_records{exporter="json-lines"} 4\n');
    expect(second).toContain('tributary_exporter_lag_records{exporter="json-lines"} 0\n');
  });

  test('writes special values the way Prometheus reads them', () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: 'tributary_test_special', help: 'Special values.', labelNames: ['case'] });

    gauge.labels({ case: 'inf' }).set(Number.POSITIVE_INFINITY);
    gauge.labels({ case: 'minus_inf' }).set(Number.NEGATIVE_INFINITY);
    gauge.labels({ case: 'nan' }).set(Number.NaN);

    const text = registry.exposition();
    expect(text).toContain('{case="inf"} +Inf\n');
    expect(text).toContain('{case="minus_inf"} -Inf\n');
    expect(text).toContain('{case="nan"} NaN\n');
  });

  test('refuses misuse as programmer errors', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter({ name: 'tributary_commands_total', help: 'Commands.', labelNames: ['partition'] });

    expect(() => registry.counter({ name: 'tributary_commands_total', help: 'again' })).toThrow(/registered once/);
    expect(() => registry.counter({ name: 'tributary_commands', help: 'no unit' })).toThrow(/_total/);
    expect(() => registry.gauge({ name: 'tributary-bad-name', help: 'x' })).toThrow(/metric name/);
    expect(() => registry.histogram({ name: 'tributary_h_seconds', help: 'x', bucketsUpperBounds: [1, 0.5] })).toThrow(/ascending/);
    expect(() => counter.labels({ partition: 1 }).inc(-1)).toThrow(/grow/);
    expect(() => counter.inc()).toThrow(/Expected labels \[partition\]/);
  });
});
