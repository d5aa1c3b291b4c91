import type avro from 'avsc';
import type { Record } from '../../../protocol/index.js';
import {
  COMPATIBILITY_LEVEL_DEFAULT,
  compatibilityProblems,
  isCompatibilityLevel,
  normalizeAvroSchema,
  parseAvroSchema,
  registryErrors,
  type CompatibilityLevel,
} from '../../../protocol/schema-registry/index.js';
import type { ReadonlySchemaRegistryState, SchemaRegisterRecordValue } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { NO_KEY, rejectSchemaCommand } from './schema-rejections.js';

/**
 * SCHEMA REGISTER: registers a schema under a subject. A schema already live under the subject answers with its id
 * and version and writes nothing; a new one is checked against the subject's compatibility level, then gets the id
 * an equal schema has (under any subject) or the next one, and the subject's next version.
 */
export class SchemaRegisterProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as SchemaRegisterRecordValue;
    const registry = context.state.schemaRegistry;
    const schemaType = request.schemaType || 'AVRO';
    if (schemaType !== 'AVRO') return rejectSchemaCommand(command, context, registryErrors.unsupportedSchemaType(schemaType));
    let type: avro.Type;
    try {
      type = parseAvroSchema(request.schema);
    } catch (error) {
      return rejectSchemaCommand(command, context, registryErrors.invalidSchema(request.schema, error instanceof Error ? error.message : String(error)));
    }
    const schema = normalizeAvroSchema(request.schema);
    const versions = registry.subjectVersions(request.subject);
    const live = versions.filter((entry) => !entry.deleted);
    const knownId = registry.idOfSchema(schema);
    const existing = live.find((entry) => entry.id === knownId);
    if (existing !== undefined) {
      const value: SchemaRegisterRecordValue = { subject: request.subject, schemaType, schema, id: existing.id, version: existing.version };
      context.writers.respond(command, context.writers.unwrittenRecord(NO_KEY, 'SCHEMA', 'REGISTERED', value));
      return;
    }
    const earlier = live.map((entry) => ({ version: entry.version, type: parseAvroSchema(registry.schemaById(entry.id)!.schema) }));
    const problems = compatibilityProblems(compatibilityOf(registry, request.subject), type, earlier);
    if (problems.length > 0) return rejectSchemaCommand(command, context, registryErrors.incompatibleSchema(request.subject, problems));
    const value: SchemaRegisterRecordValue = {
      subject: request.subject,
      schemaType,
      schema,
      id: knownId ?? registry.highestSchemaId() + 1,
      // Versions are never reused, not even those of soft-deleted versions.
      version: versions.length === 0 ? 1 : versions[versions.length - 1].version + 1,
    };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'REGISTERED', value));
  }
}

/** The subject's own level, else the global one, else BACKWARD. */
export function compatibilityOf(registry: ReadonlySchemaRegistryState, subject: string): CompatibilityLevel {
  const level = registry.compatibility(subject) ?? registry.compatibility('');
  return isCompatibilityLevel(level) ? level : COMPATIBILITY_LEVEL_DEFAULT;
}
