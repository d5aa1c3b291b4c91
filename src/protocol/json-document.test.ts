import { describe, expect, test } from 'vitest';
import { parseJson, stringifyJson } from './json-document.js';

describe('variables documents', () => {
  test('given integers beyond 2^53, when parsed, then they stay exact as bigints', () => {
    const document = parseJson('{"orderId": 9007199254740993, "small": 12, "price": 1234567890123456.5, "negative": -9223372036854775808}');

    expect(document).toEqual({ orderId: 9007199254740993n, small: 12, price: 1234567890123456.5, negative: -9223372036854775808n });
  });

  test('given a document with bigints, when written, then they are bare JSON numbers', () => {
    expect(stringifyJson({ orderId: 9007199254740993n, nested: [1, { b: true }] })).toBe('{"orderId":9007199254740993,"nested":[1,{"b":true}]}');
  });

  test('given long digit runs inside strings, when parsed, then strings are untouched and escapes decoded', () => {
    expect(parseJson('{"phone":"12345678901234567890","quote":"a\\"b\\u00e9","__proto__":1}')).toEqual(
      JSON.parse('{"phone":"12345678901234567890","quote":"a\\"b\\u00e9","__proto__":1}'),
    );
  });

  test('given integers beyond 64 bits, when parsed, then they become doubles as in Zeebe', () => {
    expect(parseJson('{"huge": 123456789012345678901234567890}')).toEqual({ huge: 1.2345678901234568e29 });
  });

  test.each(['{"a": 12345678901234567', '{"a": 12345678901234567,}', '[12345678901234567] x', '{"a": 01234567890123456}'])(
    'given invalid JSON %s, when parsed losslessly, then it throws a SyntaxError',
    (text) => {
      expect(() => parseJson(text)).toThrow(SyntaxError);
    },
  );
});
