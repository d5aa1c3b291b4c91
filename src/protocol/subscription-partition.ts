/** The first partition id; Zeebe numbers partitions from 1. */
const START_PARTITION_ID = 1;

/**
 * Java's String#hashCode over the UTF-8 bytes of the correlation key, each byte taken as signed, in 32-bit
 * arithmetic: exactly Zeebe's SubscriptionUtil.getSubscriptionHashCode, so a correlation key lands on the same
 * partition here as on Zeebe.
 */
export function subscriptionHashCode(correlationKey: string): number {
  let hashCode = 0;
  for (const byte of Buffer.from(correlationKey, 'utf8')) {
    const signed = byte > 127 ? byte - 256 : byte;
    hashCode = (Math.imul(31, hashCode) + signed) | 0;
  }
  return hashCode;
}

/**
 * The partition that holds the messages and message subscriptions of a correlation key: every message with that
 * key is published there and every catch event waiting for it subscribes there (Zeebe's routing).
 */
export function subscriptionPartitionId(correlationKey: string, partitionCount: number): number {
  return Math.abs(subscriptionHashCode(correlationKey) % partitionCount) + START_PARTITION_ID;
}
