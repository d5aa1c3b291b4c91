import type { FastifyPluginAsync } from 'fastify';
import type { SchemaRegistry } from './schema-registry.js';

/** The REST API of Confluent Schema Registry, one encapsulated fastify plugin per resource. */
interface RouteOptions {
  registry: SchemaRegistry;
}

const schemaBody = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: { type: 'string', minLength: 1 },
    schemaType: { type: 'string' },
    references: { type: 'array', maxItems: 0 },
  },
} as const;

const compatibilityBody = {
  type: 'object',
  properties: { compatibility: { type: 'string' }, compatibilityLevel: { type: 'string' } },
} as const;

const subjectParams = { type: 'object', required: ['subject'], properties: { subject: { type: 'string' } } } as const;
const versionParams = {
  type: 'object',
  required: ['subject', 'version'],
  properties: { subject: { type: 'string' }, version: { type: 'string' } },
} as const;
const deletedQuery = { type: 'object', properties: { deleted: { type: 'boolean' }, permanent: { type: 'boolean' } } } as const;

interface SchemaBody {
  schema: string;
  schemaType?: string;
}
interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}
interface DeletedQuery {
  deleted?: boolean;
  permanent?: boolean;
}


export const subjectRoutes: FastifyPluginAsync<RouteOptions> = async (app, { registry }) => {
  app.get<{ Querystring: DeletedQuery }>('/subjects', { schema: { querystring: deletedQuery } }, async (request) =>
    registry.subjects(request.query.deleted === true),
  );
  app.get<{ Params: SubjectParams; Querystring: DeletedQuery }>(
    '/subjects/:subject/versions',
    { schema: { params: subjectParams, querystring: deletedQuery } },
    async (request) => registry.versions(request.params.subject, request.query.deleted === true),
  );
  app.get<{ Params: VersionParams; Querystring: DeletedQuery }>(
    '/subjects/:subject/versions/:version',
    { schema: { params: versionParams, querystring: deletedQuery } },
    async (request) => registry.version(request.params.subject, request.params.version, request.query.deleted === true),
  );
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version/schema', { schema: { params: versionParams } }, async (request, reply) =>
    reply.type('application/vnd.schemaregistry.v1+json').send(registry.version(request.params.subject, request.params.version).schema),
  );
  app.post<{ Params: SubjectParams; Body: SchemaBody }>(
    '/subjects/:subject/versions',
    { schema: { params: subjectParams, body: schemaBody } },
    async (request) => registry.register(request.params.subject, request.body.schema, request.body.schemaType),
  );
  app.post<{ Params: SubjectParams; Body: SchemaBody }>('/subjects/:subject', { schema: { params: subjectParams, body: schemaBody } }, async (request) =>
    registry.lookup(request.params.subject, request.body.schema, request.body.schemaType),
  );
  app.delete<{ Params: SubjectParams; Querystring: DeletedQuery }>(
    '/subjects/:subject',
    { schema: { params: subjectParams, querystring: deletedQuery } },
    async (request) => registry.deleteSubject(request.params.subject, request.query.permanent === true),
  );
  app.delete<{ Params: VersionParams; Querystring: DeletedQuery }>(
    '/subjects/:subject/versions/:version',
    { schema: { params: versionParams, querystring: deletedQuery } },
    async (request) => registry.deleteVersion(request.params.subject, request.params.version, request.query.permanent === true),
  );
};

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 0 } } } as const;

export const schemaRoutes: FastifyPluginAsync<RouteOptions> = async (app, { registry }) => {
  app.get<{ Params: { id: number } }>('/schemas/ids/:id', { schema: { params: idParams } }, async (request) => registry.schemaById(request.params.id));
  app.get<{ Params: { id: number } }>('/schemas/ids/:id/schema', { schema: { params: idParams } }, async (request, reply) =>
    reply.type('application/vnd.schemaregistry.v1+json').send(registry.schemaById(request.params.id).schema),
  );
  app.get<{ Params: { id: number } }>('/schemas/ids/:id/versions', { schema: { params: idParams } }, async (request) =>
    registry.subjectVersionsOf(request.params.id),
  );
  app.get('/schemas/types', async () => ['AVRO']);
};

interface CompatibilityBody {
  compatibility?: string;
  compatibilityLevel?: string;
}

export const configRoutes: FastifyPluginAsync<RouteOptions> = async (app, { registry }) => {
  app.get('/config', async () => ({ compatibilityLevel: registry.compatibility(null) }));
  app.put<{ Body: CompatibilityBody }>('/config', { schema: { body: compatibilityBody } }, async (request) => ({
    compatibility: await registry.setCompatibility(null, request.body.compatibility ?? request.body.compatibilityLevel),
  }));
  app.delete('/config', async () => ({ compatibilityLevel: await registry.deleteCompatibility(null) }));
  app.get<{ Params: SubjectParams; Querystring: { defaultToGlobal?: boolean } }>(
    '/config/:subject',
    { schema: { params: subjectParams, querystring: { type: 'object', properties: { defaultToGlobal: { type: 'boolean' } } } } },
    async (request) => ({ compatibilityLevel: registry.compatibility(request.params.subject, request.query.defaultToGlobal === true) }),
  );
  app.put<{ Params: SubjectParams; Body: CompatibilityBody }>(
    '/config/:subject',
    { schema: { params: subjectParams, body: compatibilityBody } },
    async (request) => ({
      compatibility: await registry.setCompatibility(request.params.subject, request.body.compatibility ?? request.body.compatibilityLevel),
    }),
  );
  app.delete<{ Params: SubjectParams }>('/config/:subject', { schema: { params: subjectParams } }, async (request) => ({
    compatibilityLevel: await registry.deleteCompatibility(request.params.subject),
  }));
};

export const compatibilityRoutes: FastifyPluginAsync<RouteOptions> = async (app, { registry }) => {
  const verboseQuery = { type: 'object', properties: { verbose: { type: 'boolean' } } } as const;
  app.post<{ Params: VersionParams; Body: SchemaBody; Querystring: { verbose?: boolean } }>(
    '/compatibility/subjects/:subject/versions/:version',
    { schema: { params: versionParams, body: schemaBody, querystring: verboseQuery } },
    async (request) => {
      const { is_compatible, messages } = registry.testCompatibility(request.params.subject, request.params.version, request.body.schema, request.body.schemaType);
      return request.query.verbose === true ? { is_compatible, messages } : { is_compatible };
    },
  );
  app.post<{ Params: SubjectParams; Body: SchemaBody; Querystring: { verbose?: boolean } }>(
    '/compatibility/subjects/:subject/versions',
    { schema: { params: subjectParams, body: schemaBody, querystring: verboseQuery } },
    async (request) => {
      const { is_compatible, messages } = registry.testCompatibility(request.params.subject, undefined, request.body.schema, request.body.schemaType);
      return request.query.verbose === true ? { is_compatible, messages } : { is_compatible };
    },
  );
};
