/** Median, min and max of the values that were measured (NaN and undefined left out), with how many there were. */
export function spread(values) {
  const measured = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (measured.length === 0) return { median: NaN, min: NaN, max: NaN, count: 0 };
  const middle = Math.floor(measured.length / 2);
  const median = measured.length % 2 === 1 ? measured[middle] : (measured[middle - 1] + measured[middle]) / 2;
  return { median, min: measured[0], max: measured[measured.length - 1], count: measured.length };
}

/** spread of one field over runs, e.g. figure(runs, 'p99Ms'). */
export function figure(runs, field) {
  return spread(runs.map((run) => run[field]));
}

/** Rounds for people: 3 significant digits, at most 1 decimal place above 10 and none above 1000. */
export function round(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  if (Math.abs(value) >= 1000) return Math.round(value);
  if (Math.abs(value) >= 10) return Math.round(value * 10) / 10;
  return Math.round(value * 100) / 100;
}
