export * from './compile-expression.js';
export * from './compile-result.js';
export * from './typed-evaluation.js';
export { resultTypeOf, type ResultType } from './json-value.js';
