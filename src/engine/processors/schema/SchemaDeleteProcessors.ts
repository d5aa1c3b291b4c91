import type { Record } from '../../../protocol/index.js';
import { registryErrors } from '../../../protocol/schema-registry/index.js';
import type { SchemaDeleteRecordValue } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import { NO_KEY, rejectSchemaCommand } from './schema-rejections.js';

/**
 * SCHEMA DELETE_SUBJECT: soft-deletes every live version of a subject; with permanent, removes the soft-deleted
 * ones (Confluent requires the soft delete first).
 */
export class SchemaDeleteSubjectProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const { subject, permanent } = command.value as unknown as SchemaDeleteRecordValue;
    const versions = context.state.schemaRegistry.subjectVersions(subject);
    if (versions.length === 0) return rejectSchemaCommand(command, context, registryErrors.subjectNotFound(subject));
    const live = versions.filter((entry) => !entry.deleted);
    if (permanent && live.length > 0) return rejectSchemaCommand(command, context, registryErrors.subjectNotSoftDeleted(subject));
    if (!permanent && live.length === 0) return rejectSchemaCommand(command, context, registryErrors.subjectSoftDeleted(subject));
    const deleted = (permanent ? versions : live).map((entry) => entry.version);
    const value: SchemaDeleteRecordValue = { subject, versions: deleted, permanent: permanent === true };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'SUBJECT_DELETED', value));
  }
}

/** SCHEMA DELETE_VERSION: soft-deletes one version (-1: the latest live one), or removes a soft-deleted one. */
export class SchemaDeleteVersionProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const { subject, version, permanent } = command.value as unknown as SchemaDeleteRecordValue;
    const versions = context.state.schemaRegistry.subjectVersions(subject);
    if (versions.length === 0) return rejectSchemaCommand(command, context, registryErrors.subjectNotFound(subject));
    const live = versions.filter((entry) => !entry.deleted);
    const entry = version === -1 ? live[live.length - 1] : versions.find((candidate) => candidate.version === version);
    if (entry === undefined) return rejectSchemaCommand(command, context, registryErrors.versionNotFound(version === -1 ? 'latest' : (version ?? '')));
    if (permanent && !entry.deleted) return rejectSchemaCommand(command, context, registryErrors.versionNotSoftDeleted(subject, entry.version));
    if (!permanent && entry.deleted) return rejectSchemaCommand(command, context, registryErrors.versionSoftDeleted(subject, entry.version));
    const value: SchemaDeleteRecordValue = { subject, version: entry.version, permanent: permanent === true };
    context.writers.respond(command, context.writers.appendEvent(NO_KEY, 'SCHEMA', 'VERSION_DELETED', value));
  }
}
