import { describe, expect, it } from 'vitest';
import { GatewayAdmission } from './gateway-admission.js';

describe('gateway admission', () => {
  it('given a partition that never refused, then every command is sent', () => {
    const admission = new GatewayAdmission(20);
    expect([admission.admit(1, 0), admission.admit(1, 0), admission.admit(2, 0)]).toEqual([true, true, true]);
    expect(admission.refusedCounts()).toEqual([]);
  });

  it('given a partition that refused, then the gateway refuses its commands itself, one let through per answer seen, until the probe interval passes', () => {
    const admission = new GatewayAdmission(20);
    admission.onRefused(1, 100);
    // Refused here, without reaching the partition; another partition is not affected.
    expect([admission.admit(1, 105), admission.admit(1, 106)]).toEqual([false, false]);
    expect(admission.admit(2, 106)).toBe(true);
    // Each answer of a command that held a slot lets one command through.
    admission.onAnswered(1);
    expect([admission.admit(1, 107), admission.admit(1, 108)]).toEqual([true, false]);
    // A slot freed unseen is found: 20 ms after the partition's last refusal everything goes again.
    expect(admission.admit(1, 120)).toBe(true);
    expect(admission.refusedCounts()).toEqual([{ partitionId: 1, refused: 3 }]);
  });

  it('given credits from earlier answers, when the partition refuses again, then they are forgotten', () => {
    const admission = new GatewayAdmission(20);
    admission.onRefused(1, 0);
    admission.onAnswered(1);
    admission.onAnswered(1);
    admission.onRefused(1, 10);
    expect(admission.admit(1, 11)).toBe(false);
  });
});
