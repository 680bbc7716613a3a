import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { positionInLine } from '../../../shared/storage/waitingLine';

describe('place in line', () => {
  it('is the ticket less the jobs started, while the queue agrees', () => {
    assert.equal(positionInLine({ ticket: 12, started: 9, queued: 5, messageSent: true }), 3);
  });

  it('is bounded by the queue when tickets were lost, so an idle service says first in line', () => {
    assert.equal(positionInLine({ ticket: 40, started: 9, queued: 1, messageSent: true }), 1);
    assert.equal(positionInLine({ ticket: 40, started: 9, queued: 0, messageSent: true }), 1);
  });

  it("counts a submit's own message, which is sent after the answer is made", () => {
    assert.equal(positionInLine({ ticket: 40, started: 9, queued: 3, messageSent: false }), 4);
    assert.equal(positionInLine({ ticket: 40, started: 9, queued: 0, messageSent: false }), 1);
  });

  it('falls back to the tickets when the queue cannot be read, and is never below first', () => {
    assert.equal(positionInLine({ ticket: 12, started: 9, messageSent: true }), 3);
    assert.equal(positionInLine({ ticket: 5, started: 9, queued: 2, messageSent: true }), 1);
  });
});
