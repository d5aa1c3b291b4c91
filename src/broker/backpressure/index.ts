export * from './limit-algorithm.js';
export * from './aimd-limit.js';
export * from './vegas-limit.js';
export * from './command-limiter.js';
export * from './backpressure-metrics.js';
export * from './result-slots.js';
export * from './gateway-admission.js';
