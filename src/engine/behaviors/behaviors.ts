import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { JobStreamRegistry } from '../job-streams.js';
import type { Writers } from '../writers.js';
import { ElementBehavior } from './element-behavior.js';
import { IncidentBehavior } from './incident-behavior.js';
import { JobBehavior } from './job-behavior.js';
import { VariableBehavior } from './variable-behavior.js';

/** The behaviors shared by processors, created once per engine. */
export class Behaviors {
  readonly variables: VariableBehavior;
  readonly incidents: IncidentBehavior;
  readonly jobs: JobBehavior;
  readonly elements: ElementBehavior;

  constructor(state: ReadonlyEngineState, writers: Writers, jobStreams: JobStreamRegistry) {
    this.variables = new VariableBehavior(state, writers);
    this.incidents = new IncidentBehavior(state, writers);
    this.jobs = new JobBehavior(state, writers, jobStreams, this.incidents, this.variables);
    this.elements = new ElementBehavior(state, writers);
  }
}
