import { describe, expect, it } from 'vitest';
import type { Expression, VariableLookup } from '../model.js';
import { compileExpression } from './compile-expression.js';
import { compileFastPath } from './fast-path.js';
import { compileFeelExpression } from './feel-expression.js';

function compiled(text: string): Expression {
  const result = compileExpression(text);
  if ('problem' in result) throw new Error(result.problem);
  return result.expression;
}

function feelinOnly(text: string): Expression {
  const result = compileFeelExpression(text, text.slice(1));
  if ('problem' in result) throw new Error(result.problem);
  return result.expression;
}

function variables(values: { [name: string]: unknown }): VariableLookup {
  return (name) => values[name];
}

describe('compiling expressions', () => {
  it('treats text without a leading = as a static value', () => {
    // when
    const expression = compiled('payment-service');

    // then
    expect(expression.isStatic).toBe(true);
    expect(expression.source).toBe('payment-service');
    expect(expression.evaluate(variables({ 'payment-service': 1 }))).toEqual({ ok: true, value: 'payment-service' });
  });

  it('treats text with a leading = as FEEL', () => {
    // when
    const expression = compiled('=amount * 2');

    // then
    expect(expression.isStatic).toBe(false);
    expect(expression.source).toBe('=amount * 2');
    expect(expression.evaluate(variables({ amount: 21 }))).toEqual({ ok: true, value: 42 });
  });

  it('reports a FEEL syntax error naming the expression', () => {
    // when
    const result = compileExpression('=x >');

    // then
    expect(result).toEqual({ problem: expect.stringMatching(/^failed to parse expression 'x >': .+/) });
  });

  it('reports empty FEEL as a syntax error', () => {
    // when
    const result = compileExpression('=');

    // then
    expect(result).toEqual({ problem: expect.stringMatching(/^failed to parse expression '': /) });
  });

  it('returns the same expression object for the same text', () => {
    // given
    const first = compileExpression('=order.total + shipping');

    // when
    const second = compileExpression('=order.total + shipping');

    // then
    expect(second).toBe(first);
    expect(compileExpression('=orderId')).toBe(compileExpression('=orderId'));
  });
});

describe('fast paths', () => {
  const scope = variables({
    orderId: 'order-1',
    amount: 12.5,
    flag: false,
    empty: null,
    order: { total: 99, customer: { name: 'Ada', vip: true }, items: [{ sku: 'a' }, { sku: 'b' }, { qty: 1 }] },
    list: [1, 2, 3],
    text: 'hello',
  });
  const texts = [
    '=orderId',
    '= orderId ',
    '=missing',
    '=empty',
    '=flag',
    '=order',
    '=order.total',
    '=order.customer.name',
    '=order.customer.missing',
    '=order.missing.deeper',
    '=missing.total',
    '=text.length',
    '=amount.value',
    '=order.items.sku',
    '=list',
    '=42',
    '=-7',
    '=3.25',
    '=.5',
    '="payment-service"',
    '=""',
    '=true',
    '=false',
    '=null',
  ];

  it.each(texts)('compiles %s without feelin', (text) => {
    // when
    const fast = compileFastPath(text, text.slice(1));

    // then
    expect(fast).toBeDefined();
  });

  it.each(texts)('gives the same result for %s as feelin', (text) => {
    // given
    const fast = compiled(text);
    const slow = feelinOnly(text);

    // when
    const fastResult = fast.evaluate(scope);
    const slowResult = slow.evaluate(scope);

    // then
    expect(fastResult).toEqual(slowResult);
  });

  it.each(['=for', '=a.if', '="with \\"escape\\""', '=a[1]', '=a.b.c + 1', '=not(x)'])(
    'leaves %s to feelin',
    (text) => {
      // when
      const fast = compileFastPath(text, text.slice(1));

      // then
      expect(fast).toBeUndefined();
    },
  );
});
