import type avro from 'avsc';
import type { Intent, Record, RecordValue } from '../../protocol/index.js';
import { compatibilityProblems, normalizeAvroSchema, parseAvroSchema } from './compatibility.js';
import { COMPATIBILITY_LEVEL_DEFAULT, type CompatibilityLevel } from './registry-events.js';
import { errorOfRejection, registryErrors, SchemaRegistryError } from './registry-errors.js';

export interface SubjectSchema {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

/** A version of a subject as the registry's state holds it. */
export interface RegistrySubjectVersion {
  version: number;
  id: number;
  deleted: boolean;
}

/**
 * What the registry reads: partition 1's schema registry state (the engine's SCHEMA appliers keep it). The subject
 * '' holds the global compatibility level.
 */
export interface SchemaRegistryReads {
  schemaById(id: number): { id: number; schemaType: string; schema: string } | undefined;
  idOfSchema(schema: string): number | undefined;
  subjects(): string[];
  subjectVersions(subject: string): RegistrySubjectVersion[];
  compatibility(subject: string): string | undefined;
  isEmpty(): boolean;
}

export interface SchemaRegistryBackend {
  /** The state to read, or undefined when this broker has none (it holds no replica of partition 1). */
  reads(): SchemaRegistryReads | undefined;
  /**
   * Writes a SCHEMA command on partition 1's leader and resolves with the answer: the event, or a rejection whose
   * reason is Confluent's error body. Rejects when the command could not be written.
   */
  sendCommand(intent: Intent, value: RecordValue): Promise<Record>;
}

const VERSION_MAX = 2 ** 31 - 1;
const GLOBAL = '';
/** After a write, how long a read waits for this broker's state to show it (a follower applies a little later). */
const APPLIED_WAIT_MS_MAX = 5_000;

/**
 * A Confluent-compatible schema registry for Avro schemas, without HTTP: the routes call these methods. Writes are
 * SCHEMA commands on partition 1, decided by the engine's processors (which hand out ids and versions) and applied to
 * partition 1's state, so the registry is replicated and snapshotted with it and survives restarts and failover.
 * Reads come from that state.
 */
export class SchemaRegistry {
  constructor(private readonly backend: SchemaRegistryBackend) {}

  /** Nothing to release: the data lives in partition 1. */
  async close(): Promise<void> {}

  subjects(includeDeleted = false): string[] {
    const reads = this.reads();
    return reads.subjects().filter((subject) => includeDeleted || reads.subjectVersions(subject).some((entry) => !entry.deleted));
  }

  versions(subject: string, includeDeleted = false): number[] {
    const versions = this.reads().subjectVersions(subject).filter((entry) => includeDeleted || !entry.deleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    return versions.map((entry) => entry.version);
  }

  version(subject: string, versionText: string, includeDeleted = false): SubjectSchema {
    const version = parseVersion(versionText);
    const versions = this.reads().subjectVersions(subject).filter((entry) => includeDeleted || !entry.deleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const entry = version === 'latest' ? versions[versions.length - 1] : versions.find((candidate) => candidate.version === version);
    if (entry === undefined) throw registryErrors.versionNotFound(version);
    return this.subjectSchema(subject, entry);
  }

  schemaById(id: number): { schema: string } {
    const stored = this.reads().schemaById(id);
    if (stored === undefined) throw registryErrors.schemaIdNotFound(id);
    return { schema: stored.schema };
  }

  subjectVersionsOf(id: number): { subject: string; version: number }[] {
    const reads = this.reads();
    if (reads.schemaById(id) === undefined) throw registryErrors.schemaIdNotFound(id);
    const found: { subject: string; version: number }[] = [];
    for (const subject of reads.subjects()) {
      for (const entry of reads.subjectVersions(subject)) if (entry.id === id && !entry.deleted) found.push({ subject, version: entry.version });
    }
    return found;
  }

  /** The subject's version that holds this schema, or 40401/40403. */
  lookup(subject: string, schemaText: string, schemaType?: string): SubjectSchema {
    const { schema } = parseSchema(schemaText, schemaType);
    const reads = this.reads();
    const versions = liveVersions(reads, subject);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const id = reads.idOfSchema(schema);
    const entry = id === undefined ? undefined : versions.find((candidate) => candidate.id === id);
    if (entry === undefined) throw registryErrors.schemaNotFound();
    return this.subjectSchema(subject, entry);
  }

  /** Registers the schema under the subject and returns its global id; an already registered schema keeps its id. */
  async register(subject: string, schemaText: string, schemaType?: string): Promise<{ id: number }> {
    // Checked here too, so that a schema that is not even JSON never reaches the log.
    parseSchema(schemaText, schemaType);
    const event = await this.write('REGISTER', { subject, schema: schemaText, schemaType: schemaType ?? 'AVRO' });
    const { id, version } = event.value as { id: number; version: number };
    await this.applied(() => this.reads().subjectVersions(subject).some((entry) => entry.version === version));
    return { id };
  }

  /**
   * Whether the schema could be registered: against one version (or 'latest') when given, else against what the
   * subject's compatibility level checks. A subject without versions is compatible with anything.
   */
  testCompatibility(subject: string, versionText: string | undefined, schemaText: string, schemaType?: string): { is_compatible: boolean; messages: string[] } {
    const { type } = parseSchema(schemaText, schemaType);
    let versions = liveVersions(this.reads(), subject);
    let level = this.compatibility(subject, true);
    if (versionText !== undefined) {
      const version = parseVersion(versionText);
      if (versions.length === 0 && version !== 'latest') throw registryErrors.subjectNotFound(subject);
      const entry = version === 'latest' ? versions[versions.length - 1] : versions.find((candidate) => candidate.version === version);
      if (entry === undefined && version !== 'latest') throw registryErrors.versionNotFound(version);
      versions = entry === undefined ? [] : [entry];
      level = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
    }
    const messages = compatibilityProblems(level, type, this.typesOf(versions));
    return { is_compatible: messages.length === 0, messages };
  }

  /** Soft-deletes every version of the subject, or with permanent removes the soft-deleted ones; returns their numbers. */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    const event = await this.write('DELETE_SUBJECT', { subject, permanent });
    const versions = (event.value as { versions: number[] }).versions;
    await this.applied(() => !this.reads().subjectVersions(subject).some((entry) => versions.includes(entry.version) && !entry.deleted));
    return versions;
  }

  async deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    const version = parseVersion(versionText);
    const event = await this.write('DELETE_VERSION', { subject, version: version === 'latest' ? -1 : version, permanent });
    const deleted = (event.value as { version: number }).version;
    await this.applied(() => !this.reads().subjectVersions(subject).some((entry) => entry.version === deleted && !entry.deleted));
    return deleted;
  }

  /** The global level (subject null), or a subject's own; with fallback, a subject without one gets the global one. */
  compatibility(subject: string | null, fallBackToGlobal = false): CompatibilityLevel {
    const reads = this.reads();
    if (subject === null) return (reads.compatibility(GLOBAL) as CompatibilityLevel | undefined) ?? COMPATIBILITY_LEVEL_DEFAULT;
    const own = reads.compatibility(subject) as CompatibilityLevel | undefined;
    if (own !== undefined) return own;
    if (fallBackToGlobal) return this.compatibility(null);
    throw registryErrors.subjectCompatibilityNotConfigured(subject);
  }

  async setCompatibility(subject: string | null, levelText: unknown): Promise<CompatibilityLevel> {
    if (typeof levelText !== 'string') throw registryErrors.invalidCompatibilityLevel();
    const event = await this.write('UPDATE_CONFIG', { subject: subject ?? GLOBAL, compatibility: levelText });
    const level = (event.value as { compatibility: CompatibilityLevel }).compatibility;
    await this.applied(() => this.reads().compatibility(subject ?? GLOBAL) === level);
    return level;
  }

  /** Removes a subject's own level (or resets the global one to BACKWARD); returns the level it had. */
  async deleteCompatibility(subject: string | null): Promise<CompatibilityLevel> {
    const event = await this.write('DELETE_CONFIG', { subject: subject ?? GLOBAL, compatibility: '' });
    await this.applied(() => this.reads().compatibility(subject ?? GLOBAL) === undefined);
    return (event.value as { compatibility: CompatibilityLevel }).compatibility;
  }

  /** True while nothing was registered or configured (a migration imports only into an empty registry). */
  isEmpty(): boolean {
    return this.reads().isEmpty();
  }

  /** Takes over the events of the file-backed registry of earlier versions (JSON lines), into an empty registry. */
  async importEvents(events: string): Promise<void> {
    await this.write('IMPORT', { events });
    await this.applied(() => !this.reads().isEmpty());
  }

  private reads(): SchemaRegistryReads {
    const reads = this.backend.reads();
    if (reads === undefined) throw registryErrors.storeFailed('this broker holds no replica of partition 1, where the registry lives');
    return reads;
  }

  private async write(intent: Intent, value: RecordValue): Promise<Record> {
    let answer: Record;
    try {
      answer = await this.backend.sendCommand(intent, value);
    } catch (error) {
      throw registryErrors.storeFailed(error instanceof Error ? error.message : String(error));
    }
    if (answer.recordType === 'COMMAND_REJECTION') throw errorOfRejection(answer.rejectionReason);
    return answer;
  }

  /**
   * Waits, bounded, until this broker's state shows a write that partition 1's leader answered, so that a client
   * reads its own writes even when this broker is a follower of partition 1 (on the leader it holds at once).
   */
  private async applied(check: () => boolean): Promise<void> {
    const deadline = Date.now() + APPLIED_WAIT_MS_MAX;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private typesOf(versions: readonly RegistrySubjectVersion[]): { version: number; type: avro.Type }[] {
    return versions.map((entry) => ({ version: entry.version, type: parseAvroSchema(this.schemaById(entry.id).schema) }));
  }

  private subjectSchema(subject: string, entry: RegistrySubjectVersion): SubjectSchema {
    return { subject, id: entry.id, version: entry.version, schema: this.schemaById(entry.id).schema };
  }
}

function liveVersions(reads: SchemaRegistryReads, subject: string): RegistrySubjectVersion[] {
  return reads.subjectVersions(subject).filter((entry) => !entry.deleted);
}

function parseVersion(text: string): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const version = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(version) || version < 1 || version > VERSION_MAX) throw registryErrors.invalidVersion(text);
  return version;
}

function parseSchema(schemaText: string, schemaType: string | undefined): { type: avro.Type; schema: string } {
  if (schemaType !== undefined && schemaType !== 'AVRO') throw registryErrors.unsupportedSchemaType(schemaType);
  let type: avro.Type;
  try {
    type = parseAvroSchema(schemaText);
  } catch (error) {
    throw registryErrors.invalidSchema(schemaText, error instanceof Error ? error.message : String(error));
  }
  return { type, schema: normalizeAvroSchema(schemaText) };
}

export { SchemaRegistryError };
