import { DEFAULT_TENANT_ID, type MessageRecordValue, type Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * MESSAGE PUBLISH: publishes a message on the partition of its correlation key. A message id is unique per name,
 * correlation key and tenant while a message with it lives (ALREADY_EXISTS), as in Zeebe. The message correlates at once to waiting
 * subscriptions and message start events; with a time to live it is buffered for subscriptions that open later,
 * without one it expires at once, as in Zeebe.
 */
export class MessagePublishProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as MessageRecordValue;
    const message: MessageRecordValue = {
      name: request.name ?? '',
      correlationKey: request.correlationKey ?? '',
      timeToLive: Math.max(0, Number(request.timeToLive ?? 0)),
      messageId: request.messageId ?? '',
      variables: request.variables ?? {},
      deadline: -1,
      tenantId: request.tenantId || DEFAULT_TENANT_ID,
    };
    if (message.name === '') {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', 'Expected to publish a message with a name, but the name was empty');
      return;
    }
    if (context.state.messages.existsMessageId(message.tenantId, message.name, message.correlationKey, message.messageId)) {
      const reason = `Expected to publish a new message with id '${message.messageId}', but a message with that id was already published`;
      context.writers.appendRejection(command, 'ALREADY_EXISTS', reason);
      return;
    }
    message.deadline = command.timestamp + message.timeToLive;
    const messageKey = context.state.keys.nextKey();
    const published = context.writers.appendEvent(messageKey, 'MESSAGE', 'PUBLISHED', message);
    context.writers.respond(command, published);
    context.behaviors.messages.correlatePublished(messageKey, message);
    if (message.timeToLive === 0) context.writers.appendEvent(messageKey, 'MESSAGE', 'EXPIRED', message);
  }
}
