import type { Problem } from './model.js';

/** What the transformation of one document shares: where it reports problems, and what reading found already. */
export interface TransformContext {
  readonly problems: Problem[];
  /** Elements with a reference that bpmn-moddle could not resolve (reported already, so not reported again). */
  readonly elementIdsWithUnresolvedReferences: ReadonlySet<string>;
}

export function report(context: TransformContext, elementId: string | undefined, message: string): void {
  context.problems.push(elementId === undefined ? { message } : { elementId, message });
}
