export * from './parse-yaml.js';
export * from './yaml-definition.js';
export * from './yaml-to-bpmn.js';
