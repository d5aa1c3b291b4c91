export * from './monitoring.js';
