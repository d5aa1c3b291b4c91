import { FeelFunction } from 'feelin';

/**
 * Built-in functions of Camunda's FEEL engine (feel-scala) that feelin does not have, given to every FEEL
 * evaluation as context entries. feelin has `string join` already. Parameter names follow Camunda's, so named
 * arguments (`get or else(value: x, default: 0)`) work too.
 */
export const CAMUNDA_BUILTINS: { readonly [name: string]: FeelFunction } = {
  // feelin passes a missing variable as null, so unlike Camunda, a variable that exists with the value null is
  // not defined either.
  'is defined': new FeelFunction((value: unknown) => value !== null && value !== undefined, ['value']),
  'get or else': new FeelFunction(
    (value: unknown, defaultValue: unknown) => value ?? defaultValue ?? null,
    ['value', 'default'],
  ),
  trim: new FeelFunction((text: unknown) => (typeof text === 'string' ? text.trim() : null), ['string']),
  'is empty': new FeelFunction((list: unknown) => (Array.isArray(list) ? list.length === 0 : null), ['list']),
};
