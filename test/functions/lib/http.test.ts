import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestError } from '@azure/storage-blob';
import { errorResponse } from '../../../functions/lib/http';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../../shared/errors';

/** The one place errors become responses: status, code, target, headers, and no internals on 5xx. */
describe('error mapping', () => {
  const logged: string[] = [];
  const context = { error: (message: string) => logged.push(message) };

  const cases = [
    [new BadRequestError('InvalidField', 'n must be …', { target: 'n' }), 400, 'InvalidField', 'n'],
    [new UnauthorizedError('Unauthorized', 'A valid API key …'), 401, 'Unauthorized', undefined],
    [new NotFoundError('NotFound', 'There is no job …', { target: 'id' }), 404, 'NotFound', 'id'],
    [new ConflictError('NotCancelable', 'finished', { target: 'id' }), 409, 'NotCancelable', 'id'],
    [new PayloadTooLargeError('PayloadTooLarge', 'too big', { target: 'body' }), 413, 'PayloadTooLarge', 'body'],
    [new UnsupportedMediaTypeError('UnsupportedMediaType', 'json only', { target: 'Content-Type' }), 415, 'UnsupportedMediaType', 'Content-Type'],
    [new RateLimitError('QuotaExceeded', 'over', { retryAfterInSeconds: 12.2 }), 429, 'QuotaExceeded', undefined],
  ] as const;
  for (const [error, status, code, target] of cases) {
    it(`answers ${error.name} as ${status} ${code}`, () => {
      const response = errorResponse(error, context);
      assert.equal(response.status, status);
      assert.deepEqual(response.jsonBody, { error: { code, message: error.message, ...(target ? { target } : {}) } });
      const headers = response.headers as Record<string, string>;
      assert.equal(headers['Cache-Control'], 'no-store');
      if (status === 401) assert.equal(headers['WWW-Authenticate'], 'ApiKey header="api-key"');
      if (status === 429) assert.equal(headers['Retry-After'], '13');
    });
  }

  it('carries a more specific code as innererror.code (Azure REST guidelines)', () => {
    const response = errorResponse(new BadRequestError('PromptBlocked', 'not for school', { target: 'prompt', innerCode: 'Bullying' }), context);
    assert.deepEqual(response.jsonBody, { error: { code: 'PromptBlocked', message: 'not for school', target: 'prompt', innererror: { code: 'Bullying' } } });
  });

  it('answers storage trouble as 503 with Retry-After, keeping the details in the log', () => {
    const storage = errorResponse(new RestError('account devstoreaccount1 unreachable', { statusCode: 500 }), context);
    assert.equal(storage.status, 503);
    assert.ok(!JSON.stringify(storage.jsonBody).includes('devstoreaccount1'));
    assert.equal((storage.headers as Record<string, string>)['Retry-After'], '5');
    const unavailable = errorResponse(new ServiceUnavailableError('The job could not be stored.', { cause: new Error('secret detail') }), context);
    assert.equal(unavailable.status, 503);
    assert.ok(!JSON.stringify(unavailable.jsonBody).includes('secret detail'));
    assert.ok(logged.some((line) => line.includes('secret detail')));
  });

  it('answers anything else as a 500 without details', () => {
    const response = errorResponse(new TypeError('Cannot read properties of undefined (reading "x")'), context);
    assert.equal(response.status, 500);
    assert.deepEqual(response.jsonBody, { error: { code: 'InternalError', message: 'An unexpected error occurred. Please try again later.' } });
  });
});
