import type { Record, VariableDocumentRecordValue } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** VARIABLE_DOCUMENT UPDATE (SetVariables): sets variables on an element instance, locally or propagating up. */
export class VariableDocumentUpdateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as VariableDocumentRecordValue;
    const scope = context.state.elementInstances.getInstance(request.scopeKey);
    if (!scope || scope.state === 'TERMINATING') {
      const reason = `Expected to update variables for element with key '${request.scopeKey}', but no such element was found`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const variables = request.variables ?? {};
    if (request.updateSemantics === 'LOCAL') context.behaviors.variables.mergeLocal(scope.key, variables, scope.value);
    else context.behaviors.variables.mergePropagate(scope.key, variables, scope.value);
    const updated: VariableDocumentRecordValue = { ...request, tenantId: scope.value.tenantId };
    const event = context.writers.appendEvent(context.state.keys.nextKey(), 'VARIABLE_DOCUMENT', 'UPDATED', updated);
    context.writers.respond(command, event);
  }
}
