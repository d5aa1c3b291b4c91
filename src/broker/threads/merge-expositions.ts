/**
 * Merges Prometheus text expositions of several threads into one: the samples of a metric family stay together
 * under one HELP and TYPE line, as the format wants (each thread reports different partitions, so samples differ).
 */
export function mergeExpositions(expositions: readonly string[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const exposition of expositions) {
    let family: { header: string[]; samples: string[] } | undefined;
    for (const line of exposition.split('\n')) {
      if (line.length === 0) continue;
      const header = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (header !== null) {
        family = families.get(header[2]);
        if (family === undefined) families.set(header[2], (family = { header: [], samples: [] }));
        if (!family.header.some((existing) => existing.startsWith(`# ${header[1]} `))) family.header.push(line);
        continue;
      }
      family?.samples.push(line);
    }
  }
  return [...families.values()].map((family) => [...family.header, ...family.samples].join('\n')).join('\n') + (families.size > 0 ? '\n' : '');
}
