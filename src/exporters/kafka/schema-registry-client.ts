/** What the Kafka exporter needs of a schema registry: the id of a schema registered under a subject. */
export interface SchemaRegistryClient {
  /** Registers the schema under the subject (or finds it there) and resolves with its global id. */
  register(subject: string, schema: string): Promise<number>;
}

export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * A client of any Confluent-compatible schema registry's REST API, the broker's own or an external one. Ids are
 * cached per subject and schema, so each is registered once per exporter.
 */
export class HttpSchemaRegistryClient implements SchemaRegistryClient {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly url: string;

  constructor(url: string, private readonly requestTimeoutMs = 10_000) {
    this.url = url.replace(/\/+$/, '');
  }

  register(subject: string, schema: string): Promise<number> {
    const cacheKey = `${subject}\u0000${schema}`;
    let id = this.ids.get(cacheKey);
    if (id === undefined) {
      id = this.post(subject, schema);
      // A failure is not cached: the exporter retries, and the next call asks the registry again.
      id.catch(() => this.ids.delete(cacheKey));
      this.ids.set(cacheKey, id);
    }
    return id;
  }

  private async post(subject: string, schema: string): Promise<number> {
    const url = `${this.url}/subjects/${encodeURIComponent(subject)}/versions`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': SCHEMA_REGISTRY_CONTENT_TYPE, accept: SCHEMA_REGISTRY_CONTENT_TYPE },
      body: JSON.stringify({ schema }),
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: unknown; message?: unknown; error_code?: unknown };
    if (!response.ok || typeof body.id !== 'number') {
      throw new Error(
        `Expected the schema registry at ${this.url} to register the schema of subject '${subject}', but it answered ${response.status}` +
          (body.message === undefined ? '' : ` (${String(body.error_code)}: ${String(body.message)})`),
      );
    }
    return body.id;
  }
}
