/** A record is a command (a request to change something), an event (a fact) or a rejected command. */
export const RECORD_TYPES = ['COMMAND', 'EVENT', 'COMMAND_REJECTION'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
