import { TributaryError } from '../../errors.js';
import { activatedJob } from '../activated-job.js';
import type { ActivatedJobRecord } from '../broker-client.js';
import type { GatewayContext } from '../gateway-context.js';
import { invalidArgument, toStatus } from '../grpc-errors.js';
import type { ActivatedJobMessage, StreamActivatedJobsRequest } from '../messages.js';
import { durationMs, tenantIdsOrDefault } from '../request-fields.js';
import type { ServerStreamCall } from '../transport/server-call.js';

type StreamActivatedJobsCall = ServerStreamCall<StreamActivatedJobsRequest, ActivatedJobMessage>;

/**
 * StreamActivatedJobs -> openJobStream: the brokers activate jobs of the type for this stream and push each one
 * after its activation is committed; the gateway writes it as an ActivatedJob, or refuses it while the client does
 * not keep up (the broker then yields it). The response headers are sent once the stream is registered. The stream
 * lives until the client cancels it or the gateway stops.
 */
export class JobStreamsHandler {
  /** Closes one open stream (broker side and call); the set is what stop() closes. */
  private readonly openStreams = new Set<() => void>();
  private closed = false;

  constructor(private readonly context: GatewayContext) {}

  readonly handle = (call: StreamActivatedJobsCall): void => {
    try {
      this.open(call);
    } catch (error) {
      call.fail(toStatus(error, 'StreamActivatedJobs', this.context.logger));
    }
  };

  /** Closes every open stream; the clients see the stream complete and reconnect elsewhere. */
  close(): void {
    this.closed = true;
    for (const close of this.openStreams) close();
  }

  private open(call: StreamActivatedJobsCall): void {
    const request = call.request;
    if (request.type.length === 0) {
      throw invalidArgument("Expected to stream jobs of a type, but 'type' is empty", { field: 'type' });
    }
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', 'The gateway is shutting down');
    let open = true;
    // A client that does not keep up (its flow-control window is closed) gets no more jobs: each one refused goes
    // back to the broker, which yields it to other workers (as Zeebe's gateway does when a stream is not ready), so
    // no job waits behind a slow client and the gateway holds at most one message per stream beyond the window.
    const push = (job: ActivatedJobRecord): boolean => {
      if (!open || !call.ready) return false;
      call.write(activatedJob(job.key, job.value));
      return true;
    };
    const closeBrokerStream = this.context.broker.openJobStream(
      {
        type: request.type,
        worker: request.worker,
        timeoutMs: durationMs(request.timeout, 'timeout'),
        fetchVariables: request.fetchVariable,
        tenantIds: tenantIdsOrDefault(request.tenantIds),
      },
      push,
    );
    const close = (): void => {
      if (!open) return;
      open = false;
      this.openStreams.delete(close);
      closeBrokerStream();
      if (!call.cancelled) call.end();
    };
    this.openStreams.add(close);
    call.onCancelled(close);
    // The stream is registered now, ahead of any command this gateway sends later: a client that waits for the
    // headers knows every job created from then on is pushed to it. Jobs created before are not (as in Zeebe):
    // those wait for ActivateJobs.
    call.sendHeaders();
  }
}
