export * from './compatibility.js';
export * from './registry-errors.js';
