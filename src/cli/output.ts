/** How the CLI prints: for people by default, JSON with --json for scripts. */
export interface OutputOptions {
  json?: boolean;
}

export function print(options: OutputOptions, value: unknown, human: () => string): void {
  if (options.json) console.log(JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item), 2));
  else console.log(human());
}

/** Prints an error the way a person can act on, and sets a non-zero exit code. */
export function fail(error: unknown): void {
  const grpc = error as { code?: number; details?: string; message?: string };
  // Only gRPC errors carry a numeric code; Node's errors carry names like ENOENT, already in their message.
  const status = typeof grpc.code === 'number' ? ` (${GRPC_STATUS_NAMES[grpc.code] ?? `status ${grpc.code}`})` : '';
  console.error(`Error${status}: ${grpc.details || grpc.message || String(error)}`);
  process.exitCode = 1;
}

const GRPC_STATUS_NAMES: { [code: number]: string } = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};

/** Parses a --variables argument; a clear message when it is not a JSON object. */
export function parseVariables(text: string | undefined): string {
  if (text === undefined || text === '') return '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Expected --variables to be a JSON object, but it is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Expected --variables to be a JSON object, but got: ${text}`);
  }
  return text;
}
