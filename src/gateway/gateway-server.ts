import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { BrokerClient } from './broker-client.js';
import type { GatewayContext } from './gateway-context.js';
import { consoleLogger, toStatus, type GatewayLogger } from './grpc-errors.js';
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
import { unimplementedServerStream, unimplementedUnary } from './rpcs/unimplemented.js';

export const GATEWAY_PORT_DEFAULT = 26500;
/** Zeebe's default request timeout: how long a command may take before the client gets DEADLINE_EXCEEDED. */
export const REQUEST_TIMEOUT_DEFAULT_MS = 15_000;
/** Zeebe's default long polling timeout of ActivateJobs (requestTimeout 0). */
export const LONG_POLLING_TIMEOUT_DEFAULT_MS = 10_000;
/**
 * The largest request the gateway accepts (Zeebe's default, 4 MiB). grpc-js refuses a larger one before any handler
 * runs, with RESOURCE_EXHAUSTED ("Received message larger than max"); a deployment of big resources needs more.
 */
export const MAX_MESSAGE_SIZE_DEFAULT_BYTES = 4 * 1024 * 1024;
/** How long stop() lets calls in flight finish before it closes the connections. */
export const SHUTDOWN_GRACE_DEFAULT_MS = 5_000;
/**
 * The shortest interval between client pings the server tolerates. The official clients send keepalive pings, also
 * on idle connections; the server must allow them rather than answer with GOAWAY (too_many_pings).
 */
const PING_INTERVAL_WITHOUT_DATA_MIN_MS = 1_000;

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
 * for the brokers and the answering record to the response; this class wires them to grpc-js.
 */
export class GatewayServer {
  private readonly context: GatewayContext;
  private readonly options: Required<Omit<GatewayServerOptions, 'logger'>>;
  private server: Server | undefined;
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
    const server = new Server({
      'grpc.max_receive_message_length': this.options.maxMessageSizeBytes,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': PING_INTERVAL_WITHOUT_DATA_MIN_MS,
      // Nothing reads channelz here, and its per-call bookkeeping was the largest single source of the gateway's
      // objects that outlive the young generation (13 % of them, heap sampling at 1,000 instances/s).
      'grpc.enable_channelz': 0,
    });
    this.activateJobs = new ActivateJobsHandler(this.context);
    this.jobStreams = new JobStreamsHandler(this.context);
    server.addService(loadGatewayService(), this.handlers(this.activateJobs, this.jobStreams));
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${this.options.port}`, ServerCredentials.createInsecure(), (error, boundPort) =>
          error ? reject(error) : resolve(boundPort),
        );
      });
      this.server = server;
      return port;
    } catch (error) {
      this.activateJobs.close();
      this.jobStreams.close();
      server.forceShutdown();
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
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.options.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private handlers(activateJobs: ActivateJobsHandler, jobStreams: JobStreamsHandler): UntypedServiceImplementation {
    const context = this.context;
    const implemented: UntypedServiceImplementation = {
      Topology: this.unary('Topology', () => topology(context)),
      DeployResource: this.unary('DeployResource', (request) => deployResource(context, request)),
      DeployProcess: this.unary('DeployProcess', (request) => deployProcess(context, request)),
      CreateProcessInstance: this.unary('CreateProcessInstance', (request, call) => createProcessInstance(context, request, call.metadata)),
      CreateProcessInstanceWithResult: this.unary('CreateProcessInstanceWithResult', (request, call) =>
        createProcessInstanceWithResult(context, request, call.metadata),
      ),
      CancelProcessInstance: this.unary('CancelProcessInstance', (request) => cancelProcessInstance(context, request)),
      ModifyProcessInstance: this.unary('ModifyProcessInstance', (request) => modifyProcessInstance(context, request)),
      CompleteJob: this.unary('CompleteJob', (request) => completeJob(context, request)),
      FailJob: this.unary('FailJob', (request) => failJob(context, request)),
      ThrowError: this.unary('ThrowError', (request) => throwError(context, request)),
      UpdateJobRetries: this.unary('UpdateJobRetries', (request) => updateJobRetries(context, request)),
      UpdateJobTimeout: this.unary('UpdateJobTimeout', (request) => updateJobTimeout(context, request)),
      SetVariables: this.unary('SetVariables', (request) => setVariables(context, request)),
      ResolveIncident: this.unary('ResolveIncident', (request) => resolveIncident(context, request)),
      PublishMessage: this.unary('PublishMessage', (request) => publishMessage(context, request)),
      BroadcastSignal: this.unary('BroadcastSignal', (request) => broadcastSignal(context, request)),
      DeleteResource: this.unary('DeleteResource', (request) => deleteResource(context, request)),
      ActivateJobs: activateJobs.handle,
      StreamActivatedJobs: jobStreams.handle,
    };
    // Every other method of the service answers UNIMPLEMENTED with its name, rather than grpc-js's generic answer.
    const handlers: UntypedServiceImplementation = {};
    for (const [rpc, method] of Object.entries(loadGatewayService())) {
      handlers[rpc] = implemented[rpc] ?? (method.responseStream ? unimplementedServerStream(rpc) : unimplementedUnary(rpc));
    }
    return handlers;
  }

  /** Adapts an RPC module to grpc-js; whatever it throws becomes a status, never an escaped exception. */
  private unary<Request, Response>(rpc: string, handle: (request: Request, call: ServerUnaryCall<Request, Response>) => Promise<Response> | Response) {
    const logger = this.context.logger;
    return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
      let result: Promise<Response> | Response;
      try {
        result = handle(call.request, call);
      } catch (error) {
        callback(toStatus(error, rpc, logger));
        return;
      }
      if (result instanceof Promise) {
        result.then(
          (response) => callback(null, response),
          (error: unknown) => callback(toStatus(error, rpc, logger)),
        );
      } else {
        callback(null, result);
      }
    };
  }
}
