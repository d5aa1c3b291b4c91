import type { Record } from '../../../protocol/index.js';
import { COMPATIBILITY_LEVEL_DEFAULT, isCompatibilityLevel, registryErrors } from '../../../protocol/schema-registry/index.js';
import { GLOBAL_SCHEMA_CONFIG_SUBJECT, type SchemaConfigRecordValue, type SchemaImportRecordValue } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { NO_KEY, rejectSchemaCommand } from './schema-rejections.js';

/** SCHEMA UPDATE_CONFIG: sets the global compatibility level (subject '') or a subject's own. */
export class SchemaUpdateConfigProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as SchemaConfigRecordValue;
    const level = typeof request.compatibility === 'string' ? request.compatibility.toUpperCase() : '';
    if (!isCompatibilityLevel(level)) return rejectSchemaCommand(command, context, registryErrors.invalidCompatibilityLevel());
    const value: SchemaConfigRecordValue = { subject: request.subject, compatibility: level };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'CONFIG_UPDATED', value));
  }
}

/**
 * SCHEMA DELETE_CONFIG: removes a subject's own level (40408 when it has none), or resets the global one to
 * BACKWARD; the event carries the level it had, which the API answers with.
 */
export class SchemaDeleteConfigProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const { subject } = command.value as unknown as SchemaConfigRecordValue;
    const own = context.state.schemaRegistry.compatibility(subject);
    if (own === undefined && subject !== GLOBAL_SCHEMA_CONFIG_SUBJECT) {
      return rejectSchemaCommand(command, context, registryErrors.subjectCompatibilityNotConfigured(subject));
    }
    const value: SchemaConfigRecordValue = { subject, compatibility: own ?? COMPATIBILITY_LEVEL_DEFAULT };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'CONFIG_DELETED', value));
  }
}

/**
 * SCHEMA IMPORT: takes over the events of the file-backed registry of earlier versions, once: only into a registry
 * that holds nothing yet, so importing again after a crash changes nothing.
 */
export class SchemaImportProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const { events } = command.value as unknown as SchemaImportRecordValue;
    if (!context.state.schemaRegistry.isEmpty()) {
      context.writers.appendRejection(command, 'INVALID_STATE', 'Expected to import the schema registry into an empty one, but it holds schemas already');
      return;
    }
    const problem = typeof events === 'string' ? importProblem(events) : 'it has no events';
    if (problem !== undefined) {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', `Expected to import schema registry events, but ${problem}`);
      return;
    }
    const value: SchemaImportRecordValue = { events };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'IMPORTED', value));
  }
}

const IMPORTED_EVENT_TYPES = ['SCHEMA_REGISTERED', 'VERSION_DELETED', 'CONFIG_SET', 'CONFIG_DELETED'];

/** The appliers replay what is imported, so it is checked here: an applier must never fail on replay. */
function importProblem(events: string): string | undefined {
  const lines = events.split('\n').filter((line) => line.trim() !== '');
  for (const [index, line] of lines.entries()) {
    let event: { type?: unknown; subject?: unknown };
    try {
      event = JSON.parse(line) as { type?: unknown; subject?: unknown };
    } catch (error) {
      return `line ${index + 1} is not JSON (${(error as Error).message})`;
    }
    if (typeof event !== 'object' || event === null || !IMPORTED_EVENT_TYPES.includes(event.type as string)) return `line ${index + 1} is no registry event`;
  }
  return undefined;
}
