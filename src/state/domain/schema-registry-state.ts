import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/**
 * Values of SCHEMA records (the built-in schema registry, kept on partition 1). The subject '' stands for the global
 * configuration in UPDATE_CONFIG and DELETE_CONFIG.
 */
export interface SchemaRegisterRecordValue {
  subject: string;
  schemaType: string;
  /** The schema text as the client sent it (REGISTER) or as the registry stores it, normalized (REGISTERED). */
  schema: string;
  /** Set on REGISTERED: the global id (shared by equal schemas) and the version under the subject. */
  id?: number;
  version?: number;
}

export interface SchemaDeleteRecordValue {
  subject: string;
  /** DELETE_VERSION: a version number, or -1 for the latest live one. SUBJECT_DELETED: unused. */
  version?: number;
  /** SUBJECT_DELETED: the versions deleted. */
  versions?: number[];
  permanent: boolean;
}

export interface SchemaConfigRecordValue {
  subject: string;
  /** UPDATE_CONFIG: the level asked for; CONFIG_UPDATED: the level set; CONFIG_DELETED: the level it had. */
  compatibility: string;
}

/** IMPORT and IMPORTED: the registry's events from the file store of earlier versions, as JSON lines. */
export interface SchemaImportRecordValue {
  events: string;
}

export interface StoredRegistrySchema {
  id: number;
  schemaType: string;
  schema: string;
}

export interface StoredSubjectVersion {
  version: number;
  id: number;
  /** Soft-deleted: hidden from reads, kept until a permanent delete. */
  deleted: boolean;
}

export const GLOBAL_SCHEMA_CONFIG_SUBJECT = '';

export interface ReadonlySchemaRegistryState {
  schemaById(id: number): StoredRegistrySchema | undefined;
  /** The id of a normalized schema text, whichever subjects it is registered under. */
  idOfSchema(schema: string): number | undefined;
  /** Every subject with at least one version (soft-deleted or not), sorted. */
  subjects(): string[];
  /** The subject's versions, ascending, soft-deleted ones included. */
  subjectVersions(subject: string): StoredSubjectVersion[];
  /** A subject's own level, or the global one for subject ''; undefined when none is set. */
  compatibility(subject: string): string | undefined;
  /** The highest schema id handed out so far (0 before the first). */
  highestSchemaId(): number;
  /** True before anything was registered or configured. */
  isEmpty(): boolean;
}

/**
 * The schema registry's data, changed only by the appliers of SCHEMA events, so that partition 1's log and snapshots
 * carry it: it survives restarts and, in a cluster, moves with partition 1's leader.
 */
export class SchemaRegistryState implements ReadonlySchemaRegistryState {
  private readonly schemas: Column<[number], any>;
  private readonly idsBySchema: Column<[string], number>;
  private readonly versions: Column<[string, number], any>;
  private readonly configs: Column<[string], string>;
  private readonly meta: Column<[string], number>;

  constructor(store: StateStore) {
    this.schemas = store.column('schema-registry-schema', 1);
    this.idsBySchema = store.column('schema-registry-id-by-schema', 1);
    this.versions = store.column('schema-registry-subject-version', 2);
    this.configs = store.column('schema-registry-config', 1);
    this.meta = store.column('schema-registry-meta', 1);
  }

  schemaById(id: number): StoredRegistrySchema | undefined {
    return this.schemas.get(id);
  }

  idOfSchema(schema: string): number | undefined {
    return this.idsBySchema.get(schema);
  }

  subjects(): string[] {
    const subjects = new Set<string>();
    this.versions.forEachWithPrefix([], (_entry, [subject]) => {
      subjects.add(subject);
    });
    return [...subjects].sort();
  }

  subjectVersions(subject: string): StoredSubjectVersion[] {
    const versions: StoredSubjectVersion[] = [];
    this.versions.forEachWithPrefix([subject], (entry: StoredSubjectVersion) => {
      versions.push(entry);
    });
    return versions.sort((a, b) => a.version - b.version);
  }

  compatibility(subject: string): string | undefined {
    return this.configs.get(subject);
  }

  highestSchemaId(): number {
    return this.meta.get('highestSchemaId') ?? 0;
  }

  isEmpty(): boolean {
    return this.highestSchemaId() === 0 && this.configs.countWithPrefix([]) === 0;
  }

  putVersion(subject: string, version: number, schema: StoredRegistrySchema): void {
    if (!this.schemas.has(schema.id)) {
      this.schemas.put([schema.id], { ...schema });
      this.idsBySchema.put([schema.schema], schema.id);
    }
    if (schema.id > this.highestSchemaId()) this.meta.put(['highestSchemaId'], schema.id);
    this.versions.put([subject, version], { version, id: schema.id, deleted: false } satisfies StoredSubjectVersion);
  }

  /** Soft-deletes a version, or removes it; a subject left without versions loses its own configuration too. */
  deleteVersion(subject: string, version: number, permanent: boolean): void {
    const entry: StoredSubjectVersion | undefined = this.versions.get(subject, version);
    if (entry === undefined) return;
    if (permanent) this.versions.delete(subject, version);
    else this.versions.put([subject, version], { ...entry, deleted: true });
    if (this.versions.countWithPrefix([subject]) === 0 && this.configs.has(subject)) this.configs.delete(subject);
  }

  setCompatibility(subject: string, level: string): void {
    this.configs.put([subject], level);
  }

  deleteCompatibility(subject: string): void {
    if (this.configs.has(subject)) this.configs.delete(subject);
  }
}
