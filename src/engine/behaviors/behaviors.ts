import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { JobStreamRegistry } from '../job-streams.js';
import type { ProcessCache } from '../process-cache.js';
import type { Writers } from '../writers.js';
import { CommandSender } from './command-sender.js';
import { ElementBehavior } from './element-behavior.js';
import { CompensationBehavior } from './compensation-behavior.js';
import { ErrorBehavior } from './error-behavior.js';
import { EscalationBehavior } from './escalation-behavior.js';
import { EventSubscriptionBehavior } from './event-subscription-behavior.js';
import { EventTriggerBehavior } from './event-trigger-behavior.js';
import { IncidentBehavior } from './incident-behavior.js';
import { JobBehavior } from './job-behavior.js';
import { MessageCorrelationBehavior } from './message-correlation-behavior.js';
import { MultiInstanceBehavior } from './multi-instance-behavior.js';
import { VariableBehavior } from './variable-behavior.js';

export interface BehaviorsOptions {
  partitionId: number;
  partitionCount: number;
  state: ReadonlyEngineState;
  writers: Writers;
  jobStreams: JobStreamRegistry;
  processes: ProcessCache;
}

/** The behaviors shared by processors, created once per engine. */
export class Behaviors {
  readonly variables: VariableBehavior;
  readonly incidents: IncidentBehavior;
  readonly jobs: JobBehavior;
  readonly elements: ElementBehavior;
  readonly commands: CommandSender;
  readonly eventTriggers: EventTriggerBehavior;
  readonly eventSubscriptions: EventSubscriptionBehavior;
  readonly messages: MessageCorrelationBehavior;
  readonly errors: ErrorBehavior;
  readonly escalations: EscalationBehavior;
  readonly compensations: CompensationBehavior;
  readonly multiInstance: MultiInstanceBehavior;

  constructor(options: BehaviorsOptions) {
    const { partitionId, state, writers, processes } = options;
    this.variables = new VariableBehavior(state, writers);
    this.incidents = new IncidentBehavior(state, writers);
    this.jobs = new JobBehavior(state, writers, options.jobStreams, this.incidents, this.variables);
    this.elements = new ElementBehavior(state, writers);
    this.commands = new CommandSender(partitionId, options.partitionCount, writers);
    this.eventTriggers = new EventTriggerBehavior(state, writers, processes, this.elements);
    this.eventSubscriptions = new EventSubscriptionBehavior(partitionId, state, writers, this.commands, this.incidents, this.variables);
    this.messages = new MessageCorrelationBehavior(partitionId, state, writers, this.commands, this.eventTriggers);
    this.errors = new ErrorBehavior(state, processes, this.variables, this.eventTriggers);
    this.escalations = new EscalationBehavior(state, writers, processes, this.eventTriggers);
    this.compensations = new CompensationBehavior(state, writers, processes, this.elements);
    this.multiInstance = new MultiInstanceBehavior(state, this.elements, this.variables, this.incidents);
  }
}
