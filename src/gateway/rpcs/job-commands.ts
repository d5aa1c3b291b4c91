import type { Intent } from '../../protocol/index.js';
import { jobCommandValue, type JobCommandChanges } from '../command-values.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import type {
  CompleteJobRequest,
  EmptyResponse,
  FailJobRequest,
  ThrowErrorRequest,
  UpdateJobRetriesRequest,
  UpdateJobTimeoutRequest,
} from '../messages.js';
import { unimplemented } from '../grpc-errors.js';
import { durationMs, partitionOfKey, requiredKey, variablesDocument } from '../request-fields.js';

/** The job RPCs: each is one JOB command keyed by the job, on the job's partition, answered with an empty response. */

/** CompleteJob -> JOB COMPLETE {variables}. */
export async function completeJob(context: GatewayContext, request: CompleteJobRequest): Promise<EmptyResponse> {
  // A job result can deny a user task transition; ignoring it would complete what the worker meant to deny.
  if (request.result !== null && request.result !== undefined) throw unimplemented('job results (CompleteJob.result)');
  return sendJobCommand(context, request.jobKey, 'COMPLETE', { variables: variablesDocument(request.variables) });
}

/** FailJob -> JOB FAIL {retries, errorMessage, retryBackoff, variables}. */
export function failJob(context: GatewayContext, request: FailJobRequest): Promise<EmptyResponse> {
  return sendJobCommand(context, request.jobKey, 'FAIL', {
    retries: request.retries,
    errorMessage: request.errorMessage,
    retryBackoff: durationMs(request.retryBackOff, 'retryBackOff'),
    variables: variablesDocument(request.variables),
  });
}

/** ThrowError -> JOB THROW_ERROR {errorCode, errorMessage, variables}. */
export function throwError(context: GatewayContext, request: ThrowErrorRequest): Promise<EmptyResponse> {
  return sendJobCommand(context, request.jobKey, 'THROW_ERROR', {
    errorCode: request.errorCode,
    errorMessage: request.errorMessage,
    variables: variablesDocument(request.variables),
  });
}

/** UpdateJobRetries -> JOB UPDATE_RETRIES {retries}. */
export function updateJobRetries(context: GatewayContext, request: UpdateJobRetriesRequest): Promise<EmptyResponse> {
  return sendJobCommand(context, request.jobKey, 'UPDATE_RETRIES', { retries: request.retries });
}

/** UpdateJobTimeout -> JOB UPDATE_TIMEOUT {timeout}. */
export function updateJobTimeout(context: GatewayContext, request: UpdateJobTimeoutRequest): Promise<EmptyResponse> {
  return sendJobCommand(context, request.jobKey, 'UPDATE_TIMEOUT', { timeout: durationMs(request.timeout, 'timeout') });
}

async function sendJobCommand(context: GatewayContext, jobKeyText: string, intent: Intent, changes: JobCommandChanges): Promise<EmptyResponse> {
  const jobKey = requiredKey(jobKeyText, 'jobKey');
  const partitionId = partitionOfKey(context.broker, jobKey, 'jobKey');
  await executeCommand(context, partitionId, { valueType: 'JOB', intent, key: jobKey, value: asRecordValue(jobCommandValue(changes)) });
  return {};
}
