import Fastify, { type FastifyInstance } from 'fastify';
import { SchemaRegistryError } from './registry-errors.js';
import { compatibilityRoutes, configRoutes, schemaRoutes, subjectRoutes } from './routes.js';
import type { SchemaRegistry } from './schema-registry.js';

export const SCHEMA_REGISTRY_PORT_DEFAULT = 8081;
export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Request bodies hold one schema; Confluent's default limit is far larger than any sane schema needs. */
const BODY_BYTES_MAX = 4 * 1024 * 1024;

/** Builds the Confluent-compatible REST app for a registry, without listening (for fastify's inject too). */
export function buildSchemaRegistryApp(registry: SchemaRegistry): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_BYTES_MAX });
  // Confluent clients send their own JSON content types; all of them are JSON.
  app.addContentTypeParser(
    ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'ignore'),
  );
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.type(SCHEMA_REGISTRY_CONTENT_TYPE);
    return payload;
  });
  for (const routes of [subjectRoutes, schemaRoutes, configRoutes, compatibilityRoutes]) app.register(routes, { registry });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error_code: 404, message: `HTTP 404 Not Found: no route ${request.method} ${request.url}` });
  });
  app.setErrorHandler((error: { statusCode?: number; validation?: unknown; message: string }, _request, reply) => {
    if (error instanceof SchemaRegistryError) {
      reply.code(error.httpStatus).send({ error_code: error.errorCode, message: error.message });
      return;
    }
    if (error.validation !== undefined || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      // Confluent answers a body it cannot use with 422 and the generic code 422.
      const status = error.statusCode === 413 || error.statusCode === 415 ? error.statusCode : 422;
      reply.code(status).send({ error_code: status, message: error.message });
      return;
    }
    reply.code(500).send({ error_code: 50001, message: `Error in the backend data store: ${error.message}` });
  });
  return app;
}

export interface SchemaRegistryServer {
  readonly port: number;
  /** Base URL a client on this host reaches the registry at. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the registry on host:port (0 picks a free port); close() stops serving but leaves the registry open. */
export async function startSchemaRegistryServer(registry: SchemaRegistry, options: { host: string; port: number }): Promise<SchemaRegistryServer> {
  const app = buildSchemaRegistryApp(registry);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const clientHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return { port, url: `http://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${port}`, close: () => app.close() };
}
