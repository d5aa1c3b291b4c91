import avro from 'avsc';

/** Confluent's compatibility levels; BACKWARD is the default of the global level. */
export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const COMPATIBILITY_LEVEL_DEFAULT: CompatibilityLevel = 'BACKWARD';

export function isCompatibilityLevel(level: unknown): level is CompatibilityLevel {
  return typeof level === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(level);
}

/** Parses an Avro schema, or throws with avsc's reason. */
export function parseAvroSchema(schema: string): avro.Type {
  const parsed: unknown = JSON.parse(schema);
  // Longs are only resolved here, never decoded, so avsc's default long type does no harm.
  return avro.Type.forSchema(parsed as avro.Schema);
}

/**
 * The schema as the registry stores, compares and serves it: the text as given, minified, so schemas that differ
 * only in white space are one schema with one id. (The text must parse; parseAvroSchema checks that first.)
 */
export function normalizeAvroSchema(schema: string): string {
  return JSON.stringify(JSON.parse(schema));
}

/** Why `reader` cannot read what `writer` wrote (Avro schema resolution), or undefined when it can. */
function resolutionProblem(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Checks a new schema against earlier ones (oldest first) as Confluent does: BACKWARD means the new schema reads data
 * written with the previous one, FORWARD that the previous one reads data written with the new one, FULL both; the
 * transitive forms check every earlier version, the others only the latest. Returns the problems, none when compatible.
 */
export function compatibilityProblems(level: CompatibilityLevel, candidate: avro.Type, earlier: readonly { version: number; type: avro.Type }[]): string[] {
  if (level === 'NONE' || earlier.length === 0) return [];
  const checked = level.endsWith('_TRANSITIVE') ? earlier : earlier.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  for (const { version, type } of checked) {
    const backwardProblem = backward ? resolutionProblem(candidate, type) : undefined;
    if (backwardProblem !== undefined) {
      problems.push(`{errorType:'READER_INCOMPATIBLE', description:'The new schema cannot read data written with version ${version}: ${backwardProblem}', compatibility:'${level}'}`);
    }
    const forwardProblem = forward ? resolutionProblem(type, candidate) : undefined;
    if (forwardProblem !== undefined) {
      problems.push(`{errorType:'WRITER_INCOMPATIBLE', description:'Version ${version} cannot read data written with the new schema: ${forwardProblem}', compatibility:'${level}'}`);
    }
  }
  return problems;
}
