export * from './engine.js';
export * from './processing-result.js';
export * from './job-streams.js';
export * from './scheduled/due-job-commands.js';
export * from './scheduled/due-timer-commands.js';
export * from './scheduled/message-start-repair.js';
