import type { Record } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';
import type { ProcessCache } from '../process-cache.js';
import {
  messageAppliers,
  messageStartEventAppliers,
  messageSubscriptionAppliers,
  processMessageSubscriptionAppliers,
  signalAppliers,
  timerAndTriggerAppliers,
} from './event-subscription-appliers.js';
import { compensationSubscriptionAppliers, escalationAppliers } from './escalation-compensation-appliers.js';
import { jobAppliers } from './job-appliers.js';
import { exporterAppliers, schemaAppliers } from './exporter-schema-appliers.js';
import { creationAppliers } from './creation-appliers.js';
import { deploymentAppliers, incidentAppliers, variableAppliers } from './other-appliers.js';
import { processInstanceAppliers } from './process-instance-appliers.js';
import { processInstanceModificationAppliers } from './process-instance-modification-appliers.js';

/**
 * The one table of which applier handles which event, keyed by `VALUE_TYPE.INTENT`. Appliers are the only code
 * that changes state; replaying the events through them rebuilds exactly the state processing built.
 */
export class EventAppliers {
  private readonly table: Map<string, (record: Record) => void>;

  constructor(state: EngineState, processes: ProcessCache) {
    this.table = new Map([
      ...deploymentAppliers(state),
      ...processInstanceAppliers(state, processes),
      ...processInstanceModificationAppliers(state, processes),
      ...creationAppliers(state),
      ...jobAppliers(state),
      ...variableAppliers(state),
      ...incidentAppliers(state),
      ...messageAppliers(state),
      ...messageSubscriptionAppliers(state),
      ...processMessageSubscriptionAppliers(state),
      ...messageStartEventAppliers(state),
      ...timerAndTriggerAppliers(state),
      ...signalAppliers(state),
      ...exporterAppliers(state),
      ...schemaAppliers(state),
      ...escalationAppliers(),
      ...compensationSubscriptionAppliers(state),
    ]);
  }

  apply(record: Record): void {
    const applier = this.table.get(`${record.valueType}.${record.intent}`);
    if (!applier) throw new Error(`No event applier for ${record.valueType}.${record.intent}`);
    applier(record);
  }

  handles(valueType: string, intent: string): boolean {
    return this.table.has(`${valueType}.${intent}`);
  }
}
