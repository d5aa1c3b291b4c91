import type { InboundCommand } from './inbound-command.js';

/** gRPC status codes the connector decides on. */
export const GRPC_ALREADY_EXISTS = 6;
export const GRPC_RESOURCE_EXHAUSTED = 8;
export const GRPC_UNAVAILABLE = 14;
export const GRPC_DEADLINE_EXCEEDED = 4;

/** Codes after which the same command is sent again later (back-off) instead of going to the dead-letter topic. */
export const RETRIABLE_GRPC_CODES: ReadonlySet<number> = new Set([GRPC_RESOURCE_EXHAUSTED, GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED]);

/** What the gateway answered to an acknowledged command, so every record can be traced to what it did. */
export interface DeliveryReceipt {
  /** create-instance: the instance the record started (or started before, when the record was replayed). */
  processInstanceKey?: string;
  /** publish-message: the message's key. */
  messageKey?: string;
}

/** The engine as the inbound connector sees it: send one command, resolve once the gateway acknowledged it. */
export interface CommandGateway {
  send(command: InboundCommand): Promise<DeliveryReceipt | void>;
}

/** A failed command, as the gateway answered it. */
export interface GatewayFailure {
  code?: number;
  details?: string;
  message?: string;
}

/** How long one command may wait for the gateway's answer. */
const COMMAND_TIMEOUT_MS = 15_000;

/**
 * A unary gRPC caller of the Zeebe gateway service, such as the CLI's GatewayClient; named here so that the
 * connectors do not import the CLI, which sits above them.
 */
export interface GatewayCaller {
  /** A unary call; headers go as gRPC request metadata. */
  call<T>(method: string, request: object, timeoutMs?: number, headers?: { [name: string]: string }): Promise<T>;
  /** A server-streaming call (ActivateJobs), collected until the stream ends. */
  collect<T>(method: string, request: object, timeoutMs: number): Promise<T[]>;
}

/** The gRPC request header that makes a creation idempotent (read by the gateway's CreateProcessInstance RPCs). */
export const IDEMPOTENCY_KEY_HEADER = 'tributary-idempotency-key';

/** CommandGateway on the Zeebe gateway protocol (CreateProcessInstance, PublishMessage). */
export class GrpcCommandGateway implements CommandGateway {
  constructor(private readonly client: GatewayCaller) {}

  async send(command: InboundCommand): Promise<DeliveryReceipt> {
    if (command.kind === 'create-instance') {
      const created = await this.client.call<{ processInstanceKey: string }>(
        'CreateProcessInstance',
        { bpmnProcessId: command.bpmnProcessId, version: -1, variables: command.variables, tenantId: '' },
        COMMAND_TIMEOUT_MS,
        { [IDEMPOTENCY_KEY_HEADER]: command.idempotencyKey },
      );
      return { processInstanceKey: String(created.processInstanceKey) };
    }
    const published = await this.client.call<{ key: string }>(
      'PublishMessage',
      { name: command.name, correlationKey: command.correlationKey, timeToLive: String(command.timeToLiveMs), messageId: command.messageId, variables: command.variables, tenantId: '' },
      COMMAND_TIMEOUT_MS,
    );
    return { messageKey: String(published.key) };
  }
}
