import type { CompatibilityLevel, RegistryEvent, SchemaType } from './registry-events.js';

export interface SubjectVersion {
  version: number;
  id: number;
  /** Soft-deleted: hidden from reads, kept until a permanent delete. */
  deleted: boolean;
}

export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
}

/**
 * The registry's state: what applying its events in order gives. Only apply() changes it; the registry decides
 * which event a request makes from what it reads here.
 */
export class RegistryState {
  readonly schemasById = new Map<number, StoredSchema>();
  /** Equal schemas share one global id, whichever subjects they are registered under. */
  readonly idsBySchema = new Map<string, number>();
  /** Each subject's versions, ascending. */
  readonly subjects = new Map<string, SubjectVersion[]>();
  readonly subjectCompatibility = new Map<string, CompatibilityLevel>();
  globalCompatibility: CompatibilityLevel | undefined;

  apply(event: RegistryEvent): void {
    switch (event.type) {
      case 'SCHEMA_REGISTERED': {
        if (!this.schemasById.has(event.id)) {
          this.schemasById.set(event.id, { id: event.id, schemaType: event.schemaType, schema: event.schema });
          this.idsBySchema.set(event.schema, event.id);
        }
        const versions = this.subjects.get(event.subject) ?? [];
        versions.push({ version: event.version, id: event.id, deleted: false });
        this.subjects.set(event.subject, versions);
        return;
      }
      case 'VERSION_DELETED': {
        const versions = this.subjects.get(event.subject) ?? [];
        const index = versions.findIndex((entry) => entry.version === event.version);
        if (index === -1) return;
        if (event.permanent) versions.splice(index, 1);
        else versions[index].deleted = true;
        if (versions.length === 0) {
          this.subjects.delete(event.subject);
          this.subjectCompatibility.delete(event.subject);
        }
        return;
      }
      case 'CONFIG_SET':
        if (event.subject === null) this.globalCompatibility = event.compatibility;
        else this.subjectCompatibility.set(event.subject, event.compatibility);
        return;
      case 'CONFIG_DELETED':
        if (event.subject === null) this.globalCompatibility = undefined;
        else this.subjectCompatibility.delete(event.subject);
        return;
    }
  }

  /** The id the next new schema gets: one above the highest so far. */
  nextSchemaId(): number {
    let highest = 0;
    for (const id of this.schemasById.keys()) highest = Math.max(highest, id);
    return highest + 1;
  }

  /** The version a new registration under the subject gets: one above every version it has, deleted or not. */
  nextVersion(subject: string): number {
    const versions = this.subjects.get(subject) ?? [];
    return versions.length === 0 ? 1 : versions[versions.length - 1].version + 1;
  }

  liveVersions(subject: string): SubjectVersion[] {
    return (this.subjects.get(subject) ?? []).filter((entry) => !entry.deleted);
  }
}
