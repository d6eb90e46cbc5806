import { describe, expect, it } from 'vitest';
import { explainWait } from '../../../src/executors/states.js';

describe("a waiting task's reason, for a person", () => {
  it('says no reason was given rather than "None" (squeue\'s word, and the local executor\'s lack of one)', () => {
    expect(explainWait('None')).toBe('no reason given: waiting its turn');
  });

  it('explains a hold and a drained node, and gives other reasons as they are', () => {
    expect(explainWait('JobHeldAdmin')).toBe('JobHeldAdmin: held by an administrator (scontrol release)');
    expect(explainWait('ReqNodeNotAvail')).toMatch(/drained or down/);
    expect(explainWait('Priority')).toBe('Priority');
  });
});
