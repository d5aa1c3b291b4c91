import { availableParallelism } from 'node:os';

const POOL_SIZE_FLAG = '--v8-pool-size';
/** Node's own default: the number of helper threads it starts when not told otherwise. */
export const NODE_DEFAULT_V8_POOL_SIZE = 4;

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

/** The pool size the process was started with (a flag or NODE_OPTIONS), or undefined when Node chose its default. */
export function givenV8PoolSize(execArgv: readonly string[], nodeOptions = ''): number | undefined {
  const words = [...execArgv, ...nodeOptions.split(/\s+/)];
  for (let index = words.length - 1; index >= 0; index--) {
    const word = words[index];
    if (word.startsWith(`${POOL_SIZE_FLAG}=`)) return Number(word.slice(POOL_SIZE_FLAG.length + 1));
    if (word === POOL_SIZE_FLAG && index + 1 < words.length) return Number(words[index + 1]);
  }
  return undefined;
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Starts this process again in place (same pid, same output, same signals) with the recommended pool size, unless
 * one was given. The pool size can only be chosen when Node starts; Node 22.15+/23.11+ can replace a process
 * (process.execve), older Node keeps its default and this returns.
 */
export function relaunchWithRecommendedV8PoolSize(): void {
  if (givenV8PoolSize(process.execArgv, process.env.NODE_OPTIONS) !== undefined) return;
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return;
  const args = [process.execPath, `${POOL_SIZE_FLAG}=${recommendedV8PoolSize()}`, ...process.execArgv, ...process.argv.slice(1)];
  execve.call(process, process.execPath, args, process.env);
}
