import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';

describe('error catalogue', () => {
  it('documents every error code in docs/errors.md with its gRPC and HTTP status', () => {
    const documentation = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const undocumented = Object.keys(ERROR_CATALOGUE).filter((code) => !new RegExp(`^\\| \`${code}\` \\|`, 'm').test(documentation));
    expect(undocumented).toEqual([]);
  });
});
