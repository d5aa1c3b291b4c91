export * from './key-generator.js';
export * from './process-state.js';
export * from './element-instance-state.js';
export * from './variable-state.js';
export * from './job-state.js';
export * from './incident-state.js';
export * from './engine-state.js';
