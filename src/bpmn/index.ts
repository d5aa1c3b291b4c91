export * from './model.js';
export * from './parse-bpmn.js';
export * from './feel/index.js';
export * from './timer.js';
