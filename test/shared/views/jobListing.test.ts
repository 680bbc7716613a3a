import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestError } from '@azure/data-tables';
import { failedOnToken } from '../../../shared/listing/listingQuery';

describe('a listing that fails with a continuationToken', () => {
  it("blames the token when the SDK could not read it or Table storage answered 400; storage's outages stay outages", () => {
    assert.equal(failedOnToken(new SyntaxError('Unexpected token in JSON')), true, 'the SDK could not decode it');
    assert.equal(failedOnToken(new RestError('One of the request inputs is not valid.', { statusCode: 400 })), true, 'Azure refused the keys in it');
    assert.equal(failedOnToken(new RestError('Server busy', { statusCode: 503 })), false);
    assert.equal(failedOnToken(new RestError('Forbidden', { statusCode: 403 })), false);
  });
});
