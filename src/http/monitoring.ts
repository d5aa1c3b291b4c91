import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { TributaryError } from '../errors.js';

/**
 * The monitoring port (Zeebe's 9600): `GET /ready`, `GET /health` and `GET /metrics`, each an encapsulated fastify
 * plugin. The server only reads from a MonitoringSource, so the broker decides what ready and healthy mean.
 */

export const MONITORING_PORT_DEFAULT = 9600;
export const MONITORING_HOST_DEFAULT = '0.0.0.0';
/** The content type of Prometheus' text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PartitionReadiness {
  partitionId: number;
  /** True when this broker's part in the partition accepts commands (its leader is elected and has recovered). */
  ready: boolean;
  /** The broker's role in the partition, e.g. 'leader' or 'follower'. */
  role?: string;
  /** Why the partition is not ready, in a sentence a person reads. */
  reason?: string;
}

export interface Readiness {
  /** True once every partition accepts commands. */
  ready: boolean;
  details: { partitions: PartitionReadiness[] };
}

export type HealthStatus = 'healthy' | 'unhealthy' | 'dead';

export interface ComponentHealth {
  /** e.g. 'broker', 'partition-1', 'stream-processor', 'exporter-director'. */
  name: string;
  status: HealthStatus;
  /** What is wrong, when the component is not healthy. */
  message?: string;
  components?: ComponentHealth[];
}

export interface HealthReport {
  /** The worst status of any component. */
  status: HealthStatus;
  components: ComponentHealth[];
}

/** What the monitoring server reads; the broker implements it. Answers may be computed synchronously or not. */
export interface MonitoringSource {
  readiness(): Readiness | Promise<Readiness>;
  health(): HealthReport | Promise<HealthReport>;
  /** All metrics in Prometheus' text exposition format 0.0.4. */
  metrics(): string | Promise<string>;
}

interface RouteOptions {
  source: MonitoringSource;
}

const partitionReadinessSchema = {
  type: 'object',
  required: ['partitionId', 'ready'],
  properties: {
    partitionId: { type: 'integer' },
    ready: { type: 'boolean' },
    role: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

const readyResponseSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    message: { type: 'string' },
    notReadyPartitions: { type: 'array', items: partitionReadinessSchema },
    partitions: { type: 'array', items: partitionReadinessSchema },
  },
} as const;

const readyRoutes: FastifyPluginAsync<RouteOptions> = async (app, { source }) => {
  app.get('/ready', { schema: { response: { 200: readyResponseSchema, 503: readyResponseSchema } } }, async (_request, reply) => {
    let readiness: Readiness;
    try {
      readiness = await source.readiness();
    } catch (error) {
      return reply.code(503).send({ status: 'not ready', message: `Readiness could not be determined: ${messageOf(error)}` });
    }
    const partitions = readiness.details.partitions;
    // Ready needs both: the source says so, and none of the partitions it lists says otherwise.
    if (readiness.ready && partitions.every((partition) => partition.ready)) return { status: 'ready', partitions };
    const notReadyPartitions = partitions.filter((partition) => !partition.ready);
    const message =
      notReadyPartitions.length === 0
        ? 'The broker has no partition that accepts commands yet'
        : notReadyPartitions.length === 1
          ? `Partition ${notReadyPartitions[0].partitionId} does not accept commands yet`
          : `Partitions ${notReadyPartitions.map((partition) => partition.partitionId).join(', ')} do not accept commands yet`;
    return reply.code(503).send({ status: 'not ready', message, notReadyPartitions, partitions });
  });
};

// The response schema is recursive so nested components (broker > partition > stream processor) keep all fields.
const componentHealthSchema = {
  $id: 'tributary.monitoring.componentHealth',
  type: 'object',
  required: ['name', 'status'],
  properties: {
    name: { type: 'string' },
    status: { type: 'string', enum: ['healthy', 'unhealthy', 'dead'] },
    message: { type: 'string' },
    components: { type: 'array', items: { $ref: 'tributary.monitoring.componentHealth#' } },
  },
} as const;

const healthResponseSchema = {
  type: 'object',
  required: ['status', 'components'],
  properties: {
    status: { type: 'string', enum: ['healthy', 'unhealthy', 'dead'] },
    message: { type: 'string' },
    components: { type: 'array', items: { $ref: 'tributary.monitoring.componentHealth#' } },
  },
} as const;

const healthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { source }) => {
  app.addSchema(componentHealthSchema);
  app.get('/health', { schema: { response: { 200: healthResponseSchema, 503: healthResponseSchema } } }, async (_request, reply) => {
    let report: HealthReport;
    try {
      report = await source.health();
    } catch (error) {
      return reply.code(503).send({ status: 'dead', message: `Health could not be determined: ${messageOf(error)}`, components: [] });
    }
    const status = worstStatus(report.status, report.components);
    return reply.code(status === 'healthy' ? 200 : 503).send({ ...report, status });
  });
};

const metricsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { source }) => {
  app.get('/metrics', async (_request, reply) => {
    const text = await source.metrics();
    return reply.type(METRICS_CONTENT_TYPE).send(text);
  });
};

export interface MonitoringAppOptions {
  source: MonitoringSource;
  /** Fastify's logger; off by default, the broker logs on its own. */
  logger?: boolean;
}

/** Builds the app without listening, for embedding or for fastify's inject. */
export function buildMonitoringApp(options: MonitoringAppOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false });
  app.register(readyRoutes, { source: options.source });
  app.register(healthRoutes, { source: options.source });
  app.register(metricsRoutes, { source: options.source });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      code: 'NOT_FOUND',
      message: `No route ${request.method} ${request.url}; the monitoring port serves GET /ready, /health and /metrics`,
    });
  });
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    if (error instanceof TributaryError) {
      reply.code(error.httpStatus).send({ code: error.code, message: error.message });
      return;
    }
    const clientError = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    const statusCode = clientError ? (error.statusCode as number) : 500;
    reply.code(statusCode).send({ code: clientError ? 'INVALID_ARGUMENT' : 'INTERNAL', message: error.message });
  });
  return app;
}

export interface MonitoringServerOptions extends MonitoringAppOptions {
  /** Defaults to MONITORING_PORT_DEFAULT; 0 picks a free port. */
  port?: number;
  /** Defaults to all interfaces, so probes from outside the host reach it. */
  host?: string;
}

export interface MonitoringServer {
  readonly host: string;
  /** The port listened on (the one chosen when 0 was asked for). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startMonitoringServer(options: MonitoringServerOptions): Promise<MonitoringServer> {
  const app = buildMonitoringApp(options);
  const host = options.host ?? MONITORING_HOST_DEFAULT;
  await app.listen({ host, port: options.port ?? MONITORING_PORT_DEFAULT });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? MONITORING_PORT_DEFAULT);
  return { host, port, close: () => app.close() };
}

const STATUS_SEVERITY: { [status in HealthStatus]: number } = { healthy: 0, unhealthy: 1, dead: 2 };

/** The worst status in the tree: one unhealthy component makes the whole report unhealthy. */
function worstStatus(status: HealthStatus, components: readonly ComponentHealth[] | undefined): HealthStatus {
  let worst = status;
  for (const component of components ?? []) {
    const componentWorst = worstStatus(component.status, component.components);
    if (STATUS_SEVERITY[componentWorst] > STATUS_SEVERITY[worst]) worst = componentWorst;
  }
  return worst;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
