import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from './broker-config.js';

/**
 * What every partition of a broker is configured with, whichever way it runs: on the gateway's thread, on a partition
 * thread, or as a Raft replica in a cluster. It is built once from the broker's configuration and handed on whole,
 * so a setting added here reaches all three; a list copied field by field once dropped two settings on the way to the
 * replicas. The meaning of each setting is documented on BrokerConfig. Not settings, and so passed on their own: the
 * partition count and ids (the cluster's shape), directories, the clock, the job streams and callbacks.
 */
export type PartitionSettings = Pick<BrokerConfig, 'fsync' | 'pendingCommandsMax' | 'backpressure' | 'segmentSizeBytesMax' | 'idempotencyWindowMs' | 'allowUnknownCalledProcess'>;

/** The partitions' settings of a broker's configuration; each optional one left out keeps its receiver's default. */
export function partitionSettingsOf(config: BrokerConfig): PartitionSettings {
  // `satisfies Record` names every setting, optional ones too: a setting added to the type but not here does not compile.
  return {
    fsync: config.fsync,
    pendingCommandsMax: config.pendingCommandsMax,
    backpressure: config.backpressure,
    segmentSizeBytesMax: config.segmentSizeBytesMax,
    idempotencyWindowMs: config.idempotencyWindowMs,
    allowUnknownCalledProcess: config.allowUnknownCalledProcess,
  } satisfies Record<keyof PartitionSettings, unknown>;
}

/** The settings of a broker started with the defaults (tests open partitions with these and change one or two). */
export const PARTITION_SETTINGS_DEFAULTS: PartitionSettings = partitionSettingsOf(BROKER_CONFIG_DEFAULTS);
