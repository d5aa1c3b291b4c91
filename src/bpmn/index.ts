export * from './model.js';
export * from './parse-bpmn.js';
export * from './parse-resource.js';
export * from './yaml/index.js';
export * from './feel/index.js';
export * from './timer.js';
export * from './cron.js';
