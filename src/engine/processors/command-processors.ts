import type { CommandProcessor } from '../context.js';
import { BpmnStreamProcessor } from './bpmn/BpmnStreamProcessor.js';
import { DeploymentCreateProcessor } from './deployment/DeploymentCreateProcessor.js';
import { DeploymentDistributeProcessor } from './deployment/DeploymentDistributeProcessor.js';
import { IncidentResolveProcessor } from './incident/IncidentResolveProcessor.js';
import { JobBatchActivateProcessor } from './job/JobBatchActivateProcessor.js';
import { JobCompleteProcessor } from './job/JobCompleteProcessor.js';
import { JobFailProcessor } from './job/JobFailProcessor.js';
import { JobRecurAfterBackoffProcessor } from './job/JobRecurAfterBackoffProcessor.js';
import { JobThrowErrorProcessor } from './job/JobThrowErrorProcessor.js';
import { JobTimeOutProcessor } from './job/JobTimeOutProcessor.js';
import { JobUpdateRetriesProcessor } from './job/JobUpdateRetriesProcessor.js';
import { JobUpdateTimeoutProcessor } from './job/JobUpdateTimeoutProcessor.js';
import { JobYieldProcessor } from './job/JobYieldProcessor.js';
import { MessageExpireProcessor } from './message/MessageExpireProcessor.js';
import { MessagePublishProcessor } from './message/MessagePublishProcessor.js';
import {
  MessageSubscriptionCorrelateProcessor,
  MessageSubscriptionCreateProcessor,
  MessageSubscriptionDeleteProcessor,
  MessageSubscriptionRejectProcessor,
} from './message/MessageSubscriptionProcessors.js';
import {
  ProcessMessageSubscriptionCorrelateProcessor,
  ProcessMessageSubscriptionCreateProcessor,
  ProcessMessageSubscriptionDeleteProcessor,
} from './message/ProcessMessageSubscriptionProcessors.js';
import { ResourceDeletionDeleteProcessor } from './resource/ResourceDeletionDeleteProcessor.js';
import { SignalBroadcastProcessor } from './signal/SignalBroadcastProcessor.js';
import { TimerTriggerProcessor } from './timer/TimerTriggerProcessor.js';
import { ProcessInstanceCancelProcessor } from './process-instance/ProcessInstanceCancelProcessor.js';
import { ProcessInstanceModificationModifyProcessor } from './process-instance/ProcessInstanceModificationModifyProcessor.js';
import { ProcessInstanceCreationCreateProcessor } from './process-instance/ProcessInstanceCreationCreateProcessor.js';
import { VariableDocumentUpdateProcessor } from './variable/VariableDocumentUpdateProcessor.js';
import { ExporterDeletePositionProcessor, ExporterUpdatePositionProcessor } from './exporter/ExporterPositionProcessors.js';
import { SchemaDeleteConfigProcessor, SchemaImportProcessor, SchemaUpdateConfigProcessor } from './schema/SchemaConfigProcessors.js';
import { SchemaDeleteSubjectProcessor, SchemaDeleteVersionProcessor } from './schema/SchemaDeleteProcessors.js';
import { SchemaRegisterProcessor } from './schema/SchemaRegisterProcessor.js';

const bpmn = new BpmnStreamProcessor();
const creation = new ProcessInstanceCreationCreateProcessor();

/** The one table of which processor handles which command, keyed by `VALUE_TYPE.INTENT`. */
export const COMMAND_PROCESSORS: ReadonlyMap<string, CommandProcessor> = new Map<string, CommandProcessor>([
  ['DEPLOYMENT.CREATE', new DeploymentCreateProcessor()],
  ['DEPLOYMENT.DISTRIBUTE', new DeploymentDistributeProcessor()],
  ['RESOURCE_DELETION.DELETE', new ResourceDeletionDeleteProcessor()],
  ['PROCESS_INSTANCE_CREATION.CREATE', creation],
  ['PROCESS_INSTANCE_CREATION.CREATE_WITH_AWAITING_RESULT', creation],
  ['PROCESS_INSTANCE.CANCEL', new ProcessInstanceCancelProcessor()],
  ['PROCESS_INSTANCE_MODIFICATION.MODIFY', new ProcessInstanceModificationModifyProcessor()],
  ['PROCESS_INSTANCE.ACTIVATE_ELEMENT', bpmn],
  ['PROCESS_INSTANCE.COMPLETE_ELEMENT', bpmn],
  ['PROCESS_INSTANCE.TERMINATE_ELEMENT', bpmn],
  ['JOB_BATCH.ACTIVATE', new JobBatchActivateProcessor()],
  ['JOB.COMPLETE', new JobCompleteProcessor()],
  ['JOB.FAIL', new JobFailProcessor()],
  ['JOB.THROW_ERROR', new JobThrowErrorProcessor()],
  ['JOB.TIME_OUT', new JobTimeOutProcessor()],
  ['JOB.RECUR_AFTER_BACKOFF', new JobRecurAfterBackoffProcessor()],
  ['JOB.YIELD', new JobYieldProcessor()],
  ['JOB.UPDATE_RETRIES', new JobUpdateRetriesProcessor()],
  ['JOB.UPDATE_TIMEOUT', new JobUpdateTimeoutProcessor()],
  ['INCIDENT.RESOLVE', new IncidentResolveProcessor()],
  ['VARIABLE_DOCUMENT.UPDATE', new VariableDocumentUpdateProcessor()],
  ['MESSAGE.PUBLISH', new MessagePublishProcessor()],
  ['MESSAGE.EXPIRE', new MessageExpireProcessor()],
  ['MESSAGE_SUBSCRIPTION.CREATE', new MessageSubscriptionCreateProcessor()],
  ['MESSAGE_SUBSCRIPTION.CORRELATE', new MessageSubscriptionCorrelateProcessor()],
  ['MESSAGE_SUBSCRIPTION.REJECT', new MessageSubscriptionRejectProcessor()],
  ['MESSAGE_SUBSCRIPTION.DELETE', new MessageSubscriptionDeleteProcessor()],
  ['PROCESS_MESSAGE_SUBSCRIPTION.CREATE', new ProcessMessageSubscriptionCreateProcessor()],
  ['PROCESS_MESSAGE_SUBSCRIPTION.CORRELATE', new ProcessMessageSubscriptionCorrelateProcessor()],
  ['PROCESS_MESSAGE_SUBSCRIPTION.DELETE', new ProcessMessageSubscriptionDeleteProcessor()],
  ['TIMER.TRIGGER', new TimerTriggerProcessor()],
  ['SIGNAL.BROADCAST', new SignalBroadcastProcessor()],
  ['EXPORTER.UPDATE_POSITION', new ExporterUpdatePositionProcessor()],
  ['EXPORTER.DELETE_POSITION', new ExporterDeletePositionProcessor()],
  ['SCHEMA.REGISTER', new SchemaRegisterProcessor()],
  ['SCHEMA.DELETE_SUBJECT', new SchemaDeleteSubjectProcessor()],
  ['SCHEMA.DELETE_VERSION', new SchemaDeleteVersionProcessor()],
  ['SCHEMA.UPDATE_CONFIG', new SchemaUpdateConfigProcessor()],
  ['SCHEMA.DELETE_CONFIG', new SchemaDeleteConfigProcessor()],
  ['SCHEMA.IMPORT', new SchemaImportProcessor()],
]);
