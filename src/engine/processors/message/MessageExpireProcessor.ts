import type { Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** MESSAGE EXPIRE (written by the partition's due-date checker): a buffered message whose time to live ended. */
export class MessageExpireProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const message = context.state.messages.getMessage(command.key);
    if (!message || message.value.deadline > command.timestamp) {
      const reason = `Expected to expire message with key '${command.key}', but no such message was found or it has not expired`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    context.writers.appendEvent(command.key, 'MESSAGE', 'EXPIRED', message.value);
  }
}
