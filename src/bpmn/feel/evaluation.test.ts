import { describe, expect, it } from 'vitest';
import type { Expression, VariableLookup } from '../model.js';
import { compileExpression } from './compile-expression.js';
import { evaluateCondition, evaluateNumber, evaluateString } from './typed-evaluation.js';

function compiled(text: string): Expression {
  const result = compileExpression(text);
  if ('problem' in result) throw new Error(result.problem);
  return result.expression;
}

function variables(values: { [name: string]: unknown }): VariableLookup {
  return (name) => values[name];
}

describe('evaluating FEEL', () => {
  it('evaluates a reference to a missing variable to null', () => {
    // given
    const scope = variables({});

    // when / then
    expect(compiled('=missing').evaluate(scope)).toEqual({ ok: true, value: null });
    expect(compiled('=missing.total').evaluate(scope)).toEqual({ ok: true, value: null });
    expect(compiled('=if missing = null then "none" else "some"').evaluate(scope)).toEqual({ ok: true, value: 'none' });
    expect(compiled('=missing + 1').evaluate(scope)).toEqual({ ok: true, value: null });
  });

  it('reads only the variables the expression names', () => {
    // given a scope that records which variables are looked up
    const read: string[] = [];
    const scope: VariableLookup = (name) => {
      read.push(name);
      return name === 'amount' ? 5 : undefined;
    };

    // when
    const result = compiled('=amount * rate').evaluate(scope);

    // then
    expect(result).toEqual({ ok: true, value: null });
    expect(read.sort()).toEqual(['amount', 'rate']);
  });

  it('builds contexts and lists from variables', () => {
    // given
    const scope = variables({ order: { items: [{ price: 2 }, { price: 3 }] }, customer: 'Ada' });

    // when
    const result = compiled('={customer: customer, total: sum(order.items.price)}').evaluate(scope);

    // then
    expect(result).toEqual({ ok: true, value: { customer: 'Ada', total: 5 } });
  });

  it('turns temporal results into their ISO text', () => {
    // when
    const result = compiled('=date("2024-02-28") + duration("P1D")').evaluate(variables({}));

    // then
    expect(result).toEqual({ ok: true, value: '2024-02-29' });
  });

  it('fails on an unknown function, naming the expression and the reason', () => {
    // when
    const result = compiled('=frobnicate(1)').evaluate(variables({}));

    // then
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^failed to evaluate expression 'frobnicate\(1\)': .+/) });
  });

  it('fails on a type error', () => {
    // when
    const result = compiled('="a" + 1').evaluate(variables({}));

    // then
    expect(result).toEqual({ ok: false, message: `failed to evaluate expression '"a" + 1': Can't add '1' to '"a"'` });
  });

  it('fails on a result that cannot be stored as a variable', () => {
    // when
    const result = compiled('=function(x) x + 1').evaluate(variables({}));

    // then
    expect(result.ok).toBe(false);
  });
});

describe('Camunda built-in functions', () => {
  const scope = variables({ name: '  Ada  ', empty: [], items: ['a', 'b'], nothing: null, zero: 0 });

  it.each([
    ['=is defined(name)', true],
    ['=is defined(missing)', false],
    ['=is defined(zero)', true],
    ['=get or else(missing, "fallback")', 'fallback'],
    ['=get or else(zero, 1)', 0],
    ['=get or else(value: nothing, default: "named")', 'named'],
    ['=trim(name)', 'Ada'],
    ['=is empty(empty)', true],
    ['=is empty(items)', false],
    ['=string join(items, ", ")', 'a, b'],
    ['=string join(items)', 'ab'],
    ['=is blank("  ")', true],
    ['=is blank(name)', false],
    ['=to json({a: 1, b: [true, null]})', '{"a":1,"b":[true,null]}'],
    ['=to json("text")', '"text"'],
    ['=to json(nothing)', 'null'],
    ['=from json("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
    ['=from json("not json")', null],
    ['=from json(to json(items))', ['a', 'b']],
    ['=partition([1, 2, 3], 2)', [[1, 2], [3]]],
    ['=partition(items, 0)', null],
    ['=duplicate values([1, 2, 1, 3, 2, 1])', [1, 2]],
    ['=extract("order-12 and order-345", "[0-9]+")', ['12', '345']],
  ])('evaluates %s', (text, expected) => {
    // when
    const result = compiled(text).evaluate(scope);

    // then
    expect(result).toEqual({ ok: true, value: expected });
  });

  it('reads a variable named like a built-in function as the variable', () => {
    // given a variable named like a feelin built-in
    const withCount = variables({ count: 3 });

    // when
    const result = compiled('=count + 1').evaluate(withCount);

    // then
    expect(result).toEqual({ ok: true, value: 4 });
  });
});

describe('evaluating conditions', () => {
  it('gives the boolean result', () => {
    // given
    const condition = compiled('=amount > 100');

    // when / then
    expect(evaluateCondition(condition, variables({ amount: 150 }))).toEqual({ ok: true, value: true });
    expect(evaluateCondition(condition, variables({ amount: 50 }))).toEqual({ ok: true, value: false });
  });

  it('fails when the result is null, in Zeebe words', () => {
    // when
    const result = evaluateCondition(compiled('=x > 1'), variables({}));

    // then
    expect(result).toEqual({ ok: false, message: "Expected result of the expression 'x > 1' to be 'BOOLEAN', but was 'NULL'." });
  });

  it('fails when the result is not a boolean', () => {
    // when
    const result = evaluateCondition(compiled('=status'), variables({ status: 'PAID' }));

    // then
    expect(result).toEqual({
      ok: false,
      message: "Expected result of the expression 'status' to be 'BOOLEAN', but was 'STRING'.",
    });
  });

  it('passes on a failed evaluation', () => {
    // when
    const result = evaluateCondition(compiled('=unknown(1) > 1'), variables({}));

    // then
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^failed to evaluate expression 'unknown\(1\) > 1'/) });
  });
});

describe('evaluating job types and retries', () => {
  it('accepts a static number as retries', () => {
    // when / then
    expect(evaluateNumber(compiled('3'), variables({}))).toEqual({ ok: true, value: 3 });
    expect(evaluateNumber(compiled('=retries'), variables({ retries: 5 }))).toEqual({ ok: true, value: 5 });
  });

  it('fails when retries are not a number', () => {
    // when
    const result = evaluateNumber(compiled('=retries'), variables({ retries: 'many' }));

    // then
    expect(result).toEqual({ ok: false, message: "Expected result of the expression 'retries' to be 'NUMBER', but was 'STRING'." });
  });

  it('fails when a job type is not a string', () => {
    // when
    const result = evaluateString(compiled('=jobType'), variables({}));

    // then
    expect(result).toEqual({ ok: false, message: "Expected result of the expression 'jobType' to be 'STRING', but was 'NULL'." });
  });
});
