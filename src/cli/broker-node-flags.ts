import { availableParallelism } from 'node:os';

/** Node's own default: the number of V8 helper threads it starts when not told otherwise. */
export const NODE_DEFAULT_V8_POOL_SIZE = 4;
const POOL_SIZE_FLAG = '--v8-pool-size';
const PRETENURING_FLAG = 'allocation-site-pretenuring';
const INITIAL_OLD_SPACE_FLAG = '--initial-old-space-size';
/** Flags by which an operator sizes V8's heap: given any of them, the broker adds no size of its own. */
const HEAP_SIZE_FLAGS = [INITIAL_OLD_SPACE_FLAG, '--initial-heap-size', '--max-old-space-size', '--max-heap-size'];
/** The old generation a broker's threads fill before their first full collection (MB, each thread's isolate). */
export const INITIAL_OLD_SPACE_MB = 256;

/**
 * How many helper threads V8 should have in a broker on this many cores: half the cores, at least 1 and at most
 * Node's default of 4. The helpers run the garbage collectors' background work (concurrent marking, sweeping,
 * parallel scavenges) for every thread of the process, while the broker's own threads (the gateway and one per
 * partition) already keep the cores busy. On 2 cores Node's 4 helpers marking at once took both cores from them
 * for tens of milliseconds: p99 at 1,100 instances/s 32-37 ms with 4, 20-27 ms with 1 (closed-loop maximum -4 %).
 */
export function recommendedV8PoolSize(cores: number = availableParallelism()): number {
  return Math.min(NODE_DEFAULT_V8_POOL_SIZE, Math.max(1, Math.floor(cores / 2)));
}

/**
 * The Node flags a broker runs with, for those not given already: the pool size above; no allocation-site
 * pretenuring (V8 allocates objects from a site whose objects once survived young collections straight into the old
 * generation; the broker's per-command objects live milliseconds, and tenured ones only died in full collections:
 * p99 at 1,430/s 27.9-30.5 ms with it, 25.4-26.8 without); and an initial old generation of INITIAL_OLD_SPACE_MB.
 * V8 starts with a small old generation and sizes it from what survives a full collection (~22 MB in a partition
 * at 1,580/s), so a loaded broker ran a full collection every 2 s on each thread, and its incremental marking made
 * every young collection slower (3-4 ms): p99 at 1,580/s 25-27 ms. With 256 MB the full collections come every
 * ~19 s, young ones take 0.8 (gateway) and 2.5 ms (partition), and p99 is 12-15 ms; the price is memory: each
 * thread's heap may grow to that size between collections. Any heap size the operator gives replaces it.
 */
export function brokerNodeFlags(given: readonly string[], cores: number = availableParallelism()): string[] {
  const flags: string[] = [];
  if (givenV8PoolSize(given) === undefined) flags.push(`${POOL_SIZE_FLAG}=${recommendedV8PoolSize(cores)}`);
  if (!given.some((word) => word.endsWith(PRETENURING_FLAG))) flags.push(`--no-${PRETENURING_FLAG}`);
  if (!given.some((word) => HEAP_SIZE_FLAGS.some((flag) => isFlag(word, flag)))) {
    flags.push(`${INITIAL_OLD_SPACE_FLAG}=${INITIAL_OLD_SPACE_MB}`);
  }
  return flags;
}

/** Whether a command-line word is the flag (with or without its value); V8 spells flags with _ or -. */
function isFlag(word: string, flag: string): boolean {
  const name = word.split('=', 1)[0].replaceAll('_', '-');
  return name === flag;
}

/** The pool size among the given flags (the last one wins, as in Node), or undefined when Node chooses its default. */
export function givenV8PoolSize(given: readonly string[]): number | undefined {
  for (let index = given.length - 1; index >= 0; index--) {
    const word = given[index];
    if (word.startsWith(`${POOL_SIZE_FLAG}=`)) return Number(word.slice(POOL_SIZE_FLAG.length + 1));
    if (word === POOL_SIZE_FLAG && index + 1 < given.length) return Number(given[index + 1]);
  }
  return undefined;
}

/** The flags this process was started with: its command line's, then NODE_OPTIONS'. */
export function processNodeFlags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Starts this process again in place (same pid, same output, same signals) with the broker's flags that were not
 * given. The pool size can only be chosen when Node starts; Node 22.15+/23.11+ can replace a process
 * (process.execve), older Node keeps its defaults and this returns.
 */
export function relaunchWithBrokerNodeFlags(): void {
  const missing = brokerNodeFlags(processNodeFlags());
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (missing.length === 0 || typeof execve !== 'function') return;
  execve.call(process, process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
