import type avro from 'avsc';
import { compatibilityProblems, normalizeAvroSchema, parseAvroSchema } from './compatibility.js';
import { COMPATIBILITY_LEVEL_DEFAULT, COMPATIBILITY_LEVELS, type CompatibilityLevel, type RegistryEvent } from './registry-events.js';
import { registryErrors, SchemaRegistryError } from './registry-errors.js';
import { RegistryState, type SubjectVersion } from './registry-state.js';
import type { SchemaRegistryStore } from './registry-store.js';

export interface SubjectSchema {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

const VERSION_MAX = 2 ** 31 - 1;

/**
 * A Confluent-compatible schema registry for Avro schemas, without HTTP: the routes call these methods. Reads come
 * from the state; each change is decided from the state, stored as an event, and only then applied. Changes run one
 * at a time, so ids and versions are handed out without races.
 */
export class SchemaRegistry {
  private readonly state = new RegistryState();
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: SchemaRegistryStore) {}

  static async open(store: SchemaRegistryStore): Promise<SchemaRegistry> {
    const registry = new SchemaRegistry(store);
    for (const event of await store.load()) registry.state.apply(event);
    return registry;
  }

  close(): Promise<void> {
    return this.writes.then(() => this.store.close());
  }

  subjects(includeDeleted = false): string[] {
    return [...this.state.subjects]
      .filter(([, versions]) => includeDeleted || versions.some((entry) => !entry.deleted))
      .map(([subject]) => subject)
      .sort();
  }

  versions(subject: string, includeDeleted = false): number[] {
    const versions = (this.state.subjects.get(subject) ?? []).filter((entry) => includeDeleted || !entry.deleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    return versions.map((entry) => entry.version);
  }

  version(subject: string, versionText: string, includeDeleted = false): SubjectSchema {
    const version = parseVersion(versionText);
    const versions = (this.state.subjects.get(subject) ?? []).filter((entry) => includeDeleted || !entry.deleted);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const entry = version === 'latest' ? versions[versions.length - 1] : versions.find((candidate) => candidate.version === version);
    if (entry === undefined) throw registryErrors.versionNotFound(version);
    return this.subjectSchema(subject, entry);
  }

  schemaById(id: number): { schema: string } {
    const stored = this.state.schemasById.get(id);
    if (stored === undefined) throw registryErrors.schemaIdNotFound(id);
    return { schema: stored.schema };
  }

  subjectVersionsOf(id: number): { subject: string; version: number }[] {
    if (!this.state.schemasById.has(id)) throw registryErrors.schemaIdNotFound(id);
    const found: { subject: string; version: number }[] = [];
    for (const [subject, versions] of this.state.subjects) {
      for (const entry of versions) if (entry.id === id && !entry.deleted) found.push({ subject, version: entry.version });
    }
    return found;
  }

  /** The subject's version that holds this schema, or 40401/40403. */
  lookup(subject: string, schemaText: string, schemaType?: string): SubjectSchema {
    const { schema } = parseSchema(schemaText, schemaType);
    const versions = this.state.liveVersions(subject);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    const id = this.state.idsBySchema.get(schema);
    const entry = id === undefined ? undefined : versions.find((candidate) => candidate.id === id);
    if (entry === undefined) throw registryErrors.schemaNotFound();
    return this.subjectSchema(subject, entry);
  }

  /** Registers the schema under the subject and returns its global id; an already registered schema keeps its id. */
  register(subject: string, schemaText: string, schemaType?: string): Promise<{ id: number }> {
    return this.write(() => {
      const { type, schema } = parseSchema(schemaText, schemaType);
      const versions = this.state.liveVersions(subject);
      const knownId = this.state.idsBySchema.get(schema);
      const existing = versions.find((entry) => entry.id === knownId);
      if (existing !== undefined) return { result: { id: existing.id } };
      const problems = compatibilityProblems(this.compatibilityOf(subject), type, this.typesOf(versions));
      if (problems.length > 0) throw registryErrors.incompatibleSchema(subject, problems);
      const id = knownId ?? this.state.nextSchemaId();
      const event: RegistryEvent = { type: 'SCHEMA_REGISTERED', subject, version: this.state.nextVersion(subject), id, schemaType: 'AVRO', schema };
      return { event, result: { id } };
    });
  }

  /**
   * Whether the schema could be registered: against one version (or 'latest') when given, else against what the
   * subject's compatibility level checks. A subject without versions is compatible with anything.
   */
  testCompatibility(subject: string, versionText: string | undefined, schemaText: string, schemaType?: string): { is_compatible: boolean; messages: string[] } {
    const { type } = parseSchema(schemaText, schemaType);
    let versions = this.state.liveVersions(subject);
    let level = this.compatibilityOf(subject);
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
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.write(() => {
      const versions = this.state.subjects.get(subject) ?? [];
      if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
      const live = versions.filter((entry) => !entry.deleted);
      if (permanent && live.length > 0) throw registryErrors.subjectNotSoftDeleted(subject);
      if (!permanent && live.length === 0) throw registryErrors.subjectSoftDeleted(subject);
      const deleted = permanent ? versions : live;
      const events = deleted.map((entry): RegistryEvent => ({ type: 'VERSION_DELETED', subject, version: entry.version, permanent }));
      return { events, result: deleted.map((entry) => entry.version) };
    });
  }

  deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    return this.write(() => {
      const version = parseVersion(versionText);
      const versions = this.state.subjects.get(subject) ?? [];
      if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
      const live = versions.filter((entry) => !entry.deleted);
      const entry = version === 'latest' ? live[live.length - 1] : versions.find((candidate) => candidate.version === version);
      if (entry === undefined) throw registryErrors.versionNotFound(version);
      if (permanent && !entry.deleted) throw registryErrors.versionNotSoftDeleted(subject, entry.version);
      if (!permanent && entry.deleted) throw registryErrors.versionSoftDeleted(subject, entry.version);
      return { event: { type: 'VERSION_DELETED', subject, version: entry.version, permanent }, result: entry.version };
    });
  }

  /** The global level (subject null), or a subject's own; with fallback, a subject without one gets the global one. */
  compatibility(subject: string | null, fallBackToGlobal = false): CompatibilityLevel {
    if (subject === null) return this.state.globalCompatibility ?? COMPATIBILITY_LEVEL_DEFAULT;
    const own = this.state.subjectCompatibility.get(subject);
    if (own !== undefined) return own;
    if (fallBackToGlobal) return this.compatibility(null);
    throw registryErrors.subjectCompatibilityNotConfigured(subject);
  }

  setCompatibility(subject: string | null, levelText: unknown): Promise<CompatibilityLevel> {
    return this.write(() => {
      const level = typeof levelText === 'string' ? levelText.toUpperCase() : '';
      if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) throw registryErrors.invalidCompatibilityLevel();
      const compatibility = level as CompatibilityLevel;
      return { event: { type: 'CONFIG_SET', subject, compatibility }, result: compatibility };
    });
  }

  /** Removes a subject's own level (or resets the global one to BACKWARD); returns the level it had. */
  deleteCompatibility(subject: string | null): Promise<CompatibilityLevel> {
    return this.write(() => {
      const previous = subject === null ? this.compatibility(null) : this.compatibility(subject);
      return { event: { type: 'CONFIG_DELETED', subject }, result: previous };
    });
  }

  private compatibilityOf(subject: string): CompatibilityLevel {
    return this.compatibility(subject, true);
  }

  private typesOf(versions: readonly SubjectVersion[]): { version: number; type: avro.Type }[] {
    return versions.map((entry) => ({ version: entry.version, type: parseAvroSchema(this.schemaById(entry.id).schema) }));
  }

  private subjectSchema(subject: string, entry: SubjectVersion): SubjectSchema {
    return { subject, id: entry.id, version: entry.version, schema: this.schemaById(entry.id).schema };
  }

  /**
   * Runs a change after the ones before it: decide reads the state and returns the events to store (or throws a
   * registry error); they are stored, then applied, then the result is returned.
   */
  private write<T>(decide: () => { event?: RegistryEvent; events?: RegistryEvent[]; result: T }): Promise<T> {
    const run = this.writes.then(async () => {
      const { event, events = [], result } = decide();
      const all = event === undefined ? events : [event, ...events];
      for (const stored of all) {
        try {
          await this.store.append(stored);
        } catch (error) {
          throw registryErrors.storeFailed(error instanceof Error ? error.message : String(error));
        }
        this.state.apply(stored);
      }
      return result;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
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
