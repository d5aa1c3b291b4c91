import type { BrokerClient } from './broker-client.js';
import type { GatewayContext } from './gateway-context.js';
import { consoleLogger, toStatus, unimplemented, type GatewayLogger } from './grpc-errors.js';
import { loadGatewayService } from './proto-definition.js';
import { ActivateJobsHandler } from './rpcs/activate-jobs.js';
import { cancelProcessInstance } from './rpcs/cancel-process-instance.js';
import { createProcessInstance, createProcessInstanceWithResult } from './rpcs/create-process-instance.js';
import { deployProcess, deployResource } from './rpcs/deploy-resource.js';
import { completeJob, failJob, throwError, updateJobRetries, updateJobTimeout } from './rpcs/job-commands.js';
import { broadcastSignal } from './rpcs/broadcast-signal.js';
import { modifyProcessInstance } from './rpcs/modify-process-instance.js';
import { publishMessage } from './rpcs/publish-message.js';
import { deleteResource } from './rpcs/delete-resource.js';
import { resolveIncident } from './rpcs/resolve-incident.js';
import { setVariables } from './rpcs/set-variables.js';
import { JobStreamsHandler } from './rpcs/stream-activated-jobs.js';
import { topology } from './rpcs/topology.js';
import { GrpcServer, type MethodCodec, type ServerStreamHandler, type UnaryHandler } from './transport/grpc-server.js';

export const GATEWAY_PORT_DEFAULT = 26500;
/** Zeebe's default request timeout: how long a command may take before the client gets DEADLINE_EXCEEDED. */
export const REQUEST_TIMEOUT_DEFAULT_MS = 15_000;
/** Zeebe's default long polling timeout of ActivateJobs (requestTimeout 0). */
export const LONG_POLLING_TIMEOUT_DEFAULT_MS = 10_000;
/**
 * The largest request the gateway accepts (Zeebe's default, 4 MiB). A larger one is refused before any handler runs,
 * with RESOURCE_EXHAUSTED ("Received message larger than max"); a deployment of big resources needs more.
 */
export const MAX_MESSAGE_SIZE_DEFAULT_BYTES = 4 * 1024 * 1024;
/** How long stop() lets calls in flight finish before it closes the connections. */
export const SHUTDOWN_GRACE_DEFAULT_MS = 5_000;

export interface GatewayServerOptions {
  /** Interface to listen on; default all interfaces. */
  host?: string;
  /** Port to listen on; 0 picks a free one (tests). Default 26500. */
  port?: number;
  /** Timeout of a command sent to a broker, and of CreateProcessInstanceWithResult when the request names none. */
  requestTimeoutDefaultMs?: number;
  /** Long polling timeout of ActivateJobs when the request's requestTimeout is 0. */
  longPollingTimeoutDefaultMs?: number;
  /** Largest request accepted, in bytes; see MAX_MESSAGE_SIZE_DEFAULT_BYTES. */
  maxMessageSizeBytes?: number;
  shutdownGraceMs?: number;
  logger?: GatewayLogger;
}

/**
 * The gRPC server speaking the Zeebe gateway protocol. Each RPC is a small module mapping the request to commands
 * for the brokers and the answering record to the response; this class wires them to the gRPC transport
 * (transport/grpc-server.ts, on node:http2). The official clients' keepalive pings are answered by node:http2 and
 * never refused, also on idle connections.
 */
export class GatewayServer {
  private readonly context: GatewayContext;
  private readonly options: Required<Omit<GatewayServerOptions, 'logger'>>;
  private server: GrpcServer | undefined;
  private activateJobs: ActivateJobsHandler | undefined;
  private jobStreams: JobStreamsHandler | undefined;

  constructor(broker: BrokerClient, options: GatewayServerOptions = {}) {
    this.options = {
      host: options.host ?? '0.0.0.0',
      port: options.port ?? GATEWAY_PORT_DEFAULT,
      requestTimeoutDefaultMs: options.requestTimeoutDefaultMs ?? REQUEST_TIMEOUT_DEFAULT_MS,
      longPollingTimeoutDefaultMs: options.longPollingTimeoutDefaultMs ?? LONG_POLLING_TIMEOUT_DEFAULT_MS,
      maxMessageSizeBytes: options.maxMessageSizeBytes ?? MAX_MESSAGE_SIZE_DEFAULT_BYTES,
      shutdownGraceMs: options.shutdownGraceMs ?? SHUTDOWN_GRACE_DEFAULT_MS,
    };
    this.context = {
      broker,
      requestTimeoutDefaultMs: this.options.requestTimeoutDefaultMs,
      longPollingTimeoutDefaultMs: this.options.longPollingTimeoutDefaultMs,
      logger: options.logger ?? consoleLogger,
    };
  }

  /** Binds and starts serving; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.server !== undefined) throw new Error('The gateway server is already started');
    const logger = this.context.logger;
    const server = new GrpcServer({
      maxMessageBytes: this.options.maxMessageSizeBytes,
      errorStatus: (error, rpc) => toStatus(error, rpc, logger),
    });
    this.activateJobs = new ActivateJobsHandler(this.context);
    this.jobStreams = new JobStreamsHandler(this.context);
    this.register(server, this.activateJobs, this.jobStreams);
    const host = this.options.host.startsWith('[') ? this.options.host.slice(1, -1) : this.options.host;
    try {
      const port = await server.listen(host, this.options.port);
      this.server = server;
      return port;
    } catch (error) {
      this.activateJobs.close();
      this.jobStreams.close();
      await server.destroy();
      throw error;
    }
  }

  /**
   * Stops gracefully: long polls end empty and job streams complete (clients retry elsewhere), new calls are
   * refused, calls in flight get shutdownGraceMs to finish, then the connections are closed.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.activateJobs?.close();
    this.jobStreams?.close();
    await server.close(this.options.shutdownGraceMs);
  }

  private register(server: GrpcServer, activateJobs: ActivateJobsHandler, jobStreams: JobStreamsHandler): void {
    const context = this.context;
    const unary: { [rpc: string]: UnaryHandler<any, unknown> } = {
      Topology: () => topology(context),
      DeployResource: (request) => deployResource(context, request),
      DeployProcess: (request) => deployProcess(context, request),
      CreateProcessInstance: (request, metadata) => createProcessInstance(context, request, metadata),
      CreateProcessInstanceWithResult: (request, metadata) => createProcessInstanceWithResult(context, request, metadata),
      CancelProcessInstance: (request) => cancelProcessInstance(context, request),
      ModifyProcessInstance: (request) => modifyProcessInstance(context, request),
      CompleteJob: (request) => completeJob(context, request),
      FailJob: (request) => failJob(context, request),
      ThrowError: (request) => throwError(context, request),
      UpdateJobRetries: (request) => updateJobRetries(context, request),
      UpdateJobTimeout: (request) => updateJobTimeout(context, request),
      SetVariables: (request) => setVariables(context, request),
      ResolveIncident: (request) => resolveIncident(context, request),
      PublishMessage: (request) => publishMessage(context, request),
      BroadcastSignal: (request) => broadcastSignal(context, request),
      DeleteResource: (request) => deleteResource(context, request),
    };
    const serverStream: { [rpc: string]: ServerStreamHandler<any, any> } = {
      ActivateJobs: activateJobs.handle,
      StreamActivatedJobs: jobStreams.handle,
    };
    // Every other method of the service answers UNIMPLEMENTED with its name, rather than a generic answer.
    for (const [rpc, method] of Object.entries(loadGatewayService())) {
      const codec = method as unknown as MethodCodec<unknown, unknown>;
      const refuse = (): never => {
        throw unimplemented(rpc);
      };
      if (method.responseStream) server.addServerStream(method.path, rpc, codec, serverStream[rpc] ?? refuse);
      else server.addUnary(method.path, rpc, codec, unary[rpc] ?? refuse);
    }
  }
}
