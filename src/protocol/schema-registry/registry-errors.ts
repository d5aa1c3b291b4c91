/**
 * Errors of the schema registry API, with Confluent Schema Registry's error codes and messages, so that clients
 * written for it (e.g. @kafkajs/confluent-schema-registry) understand them. The body is `{error_code, message}`.
 */
export class SchemaRegistryError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'SchemaRegistryError';
  }
}

export const registryErrors = {
  subjectNotFound: (subject: string) => new SchemaRegistryError(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) => new SchemaRegistryError(404, 40402, `Version ${version} not found.`),
  schemaNotFound: () => new SchemaRegistryError(404, 40403, 'Schema not found'),
  schemaIdNotFound: (id: number) => new SchemaRegistryError(404, 40403, `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) =>
    new SchemaRegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) =>
    new SchemaRegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    new SchemaRegistryError(404, 40406, `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new SchemaRegistryError(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectCompatibilityNotConfigured: (subject: string) =>
    new SchemaRegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`),
  invalidSchema: (schema: string, details: string) =>
    new SchemaRegistryError(422, 42201, `Invalid schema ${schema} with refs [] of type AVRO, details: ${details}`),
  unsupportedSchemaType: (schemaType: string) =>
    new SchemaRegistryError(422, 42201, `Invalid schema type ${schemaType}: this registry stores AVRO schemas only`),
  invalidVersion: (version: string) =>
    new SchemaRegistryError(
      422,
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibilityLevel: () =>
    new SchemaRegistryError(
      422,
      42203,
      'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    ),
  incompatibleSchema: (subject: string, details: readonly string[]) =>
    new SchemaRegistryError(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`,
    ),
  storeFailed: (reason: string) => new SchemaRegistryError(500, 50001, `Error in the backend data store: ${reason}`),
};

/**
 * A registry error as the rejection reason of a SCHEMA command: Confluent's error body as JSON, so that the HTTP API
 * answers exactly what the processor decided, and a reader of the log sees the same message a client saw.
 */
export function rejectionReasonOf(error: SchemaRegistryError): string {
  return JSON.stringify({ error_code: error.errorCode, message: error.message });
}

/** The registry error a SCHEMA command's rejection reason carries (a generic store error when it carries none). */
export function errorOfRejection(reason: string): SchemaRegistryError {
  try {
    const body = JSON.parse(reason) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'number' && typeof body.message === 'string') {
      return new SchemaRegistryError(httpStatusOf(body.error_code), body.error_code, body.message);
    }
  } catch {
    // Not a registry error: a processing error of the engine, reported as a store failure below.
  }
  return registryErrors.storeFailed(reason);
}

/** Confluent's error codes start with the HTTP status (40401 is a 404, 409 is itself). */
function httpStatusOf(errorCode: number): number {
  const status = errorCode >= 10_000 ? Math.floor(errorCode / 100) : errorCode;
  return status >= 400 && status < 600 ? status : 500;
}
