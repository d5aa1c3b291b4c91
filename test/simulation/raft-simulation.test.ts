import { describe, expect, it } from 'vitest';
import { ClusterSimulation, type SimulationResult, type SimulationStats } from './cluster-simulation.js';

/**
 * Deterministic simulation of whole Raft groups (3 and 5 replicas) under drops, duplicates, reordering,
 * partitions, one-way cuts, crashes that lose unsynced writes, restarts and wiped replicas, with every safety
 * property checked after every step, every proposal's reported outcome (committed, lost, unknown) checked against
 * the committed history, and liveness checked after healing. Each seed replays exactly:
 *   SEED=123 STEPS=10000 npx vitest run test/simulation
 * SEEDS (count) and FIRST_SEED pick another range; TRACE=1 prints every event of a single seed.
 *
 * 1000 seeds rather than the 200 required: they take about 15 s of CPU (35 s on two cores shared with other
 * work), and the subtlest deliberately broken variant tried so far (a leader counting its own entry before its
 * fsync) first fails at seed 854.
 */
const STEPS = Number(process.env.STEPS ?? 10_000);
const SEED_COUNT = Number(process.env.SEEDS ?? 1000);
const FIRST_SEED = Number(process.env.FIRST_SEED ?? 1);
const SEEDS = process.env.SEED !== undefined ? [Number(process.env.SEED)] : Array.from({ length: SEED_COUNT }, (_, offset) => FIRST_SEED + offset);
const TRACE = process.env.TRACE === '1';

const results: SimulationResult[] = [];

function replayCommand(seed: number): string {
  return `SEED=${seed} STEPS=${STEPS} npx vitest run test/simulation`;
}

describe('Raft simulation', () => {
  it.each(SEEDS)('seed %i keeps every safety property and recovers after healing', (seed) => {
    const result = new ClusterSimulation({ seed, steps: STEPS, trace: TRACE }).run();
    results.push(result);
    if (result.failure !== undefined) {
      throw new Error(`${result.failure}\n\nReplay with:\n  ${replayCommand(seed)}\n(add TRACE=1 to print every event)`);
    }
  });

  it('exercised every fault and feature it claims to test', () => {
    // A handful of seeds (a replay) need not meet every fault.
    if (SEEDS.length < 20) return;
    const total = (field: keyof SimulationStats): number => results.reduce((sum, result) => sum + result.stats[field], 0);
    const summary = Object.fromEntries(
      (Object.keys(results[0].stats) as (keyof SimulationStats)[]).filter((field) => field !== 'replicaCount').map((field) => [field, total(field)]),
    );
    console.log(`Raft simulation: ${results.length} seeds of ${STEPS} steps`, summary);
    const exercised = [
      'leaderElections',
      'committedEntries',
      'crashes',
      'wipes',
      'partitions',
      'truncations',
      'snapshotsInstalled',
      'snapshotTransfersInterrupted',
      'messagesDropped',
      'messagesDuplicated',
      'proposalsReportedCommitted',
      'proposalsReportedLost',
    ] as const;
    for (const field of exercised) {
      expect(total(field), field).toBeGreaterThan(0);
    }
    // Rare windows, a few dozen times in 1000 seeds: a crash right after a snapshot install, before the log reset.
    if (results.length >= 200) expect(total('logsReplacedOnRecovery'), 'logsReplacedOnRecovery').toBeGreaterThan(0);
    expect(results.filter((result) => result.stats.replicaCount === 3).length).toBeGreaterThan(0);
    expect(results.filter((result) => result.stats.replicaCount === 5).length).toBeGreaterThan(0);
  });
});
