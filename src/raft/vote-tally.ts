import { quorumSize, type ReplicaId } from './raft-config.js';

export type ElectionResult = 'won' | 'lost' | 'pending';

/** The answers to one round of (pre-)vote requests; a replica's first answer counts. */
export class VoteTally {
  private readonly answers = new Map<ReplicaId, boolean>();

  constructor(private readonly replicaCount: number) {}

  record(from: ReplicaId, granted: boolean): void {
    if (!this.answers.has(from)) this.answers.set(from, granted);
  }

  get result(): ElectionResult {
    const quorum = quorumSize(this.replicaCount);
    let granted = 0;
    for (const answer of this.answers.values()) if (answer) granted++;
    if (granted >= quorum) return 'won';
    return this.answers.size - granted > this.replicaCount - quorum ? 'lost' : 'pending';
  }
}
