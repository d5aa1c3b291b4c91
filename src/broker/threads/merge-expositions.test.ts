import { describe, expect, it } from 'vitest';
import { mergeExpositions } from './merge-expositions.js';

describe('mergeExpositions', () => {
  it('keeps one HELP and TYPE per family and every thread\'s samples under it', () => {
    const first = '# HELP tributary_state_position State position.\n# TYPE tributary_state_position gauge\ntributary_state_position{partition="1"} 10\n';
    const second = '# HELP tributary_state_position State position.\n# TYPE tributary_state_position gauge\ntributary_state_position{partition="2"} 20\n';
    expect(mergeExpositions([first, second])).toBe(
      '# HELP tributary_state_position State position.\n# TYPE tributary_state_position gauge\ntributary_state_position{partition="1"} 10\ntributary_state_position{partition="2"} 20\n',
    );
  });
});
