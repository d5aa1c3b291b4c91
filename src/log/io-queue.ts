/**
 * Runs the log's file operations one at a time, in the order they were asked for. After one fails, the files may no
 * longer match what the log holds in memory (a write may have landed in part), so every later operation fails too,
 * naming the first failure, until the log is reopened and recovery has looked at the files again.
 */
export class IoQueue {
  private tail: Promise<void> = Promise.resolve();
  private firstFailure: { cause: unknown } | undefined;

  constructor(private readonly describeFailure: (cause: unknown) => Error) {}

  /** The error later operations fail with, or undefined while all went well. */
  get failure(): Error | undefined {
    return this.firstFailure === undefined ? undefined : this.describeFailure(this.firstFailure.cause);
  }

  enqueue<T>(operation: () => Promise<T>, options: { evenAfterFailure?: boolean } = {}): Promise<T> {
    const result = this.tail.then(() => {
      const failure = this.failure;
      if (failure !== undefined && options.evenAfterFailure !== true) throw failure;
      return operation();
    });
    this.tail = result.then(
      () => undefined,
      (error: unknown) => {
        this.firstFailure ??= { cause: error };
      },
    );
    return result;
  }
}
