import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestError } from '../../shared/errors';
import { createJobRequestParser } from '../../shared/jobRequest';
import { getModelProfile } from '../../shared/modelProfiles';

const gptImage = createJobRequestParser(getModelProfile('gpt-image-1'), { promptMaxChars: 100, maxImagesPerJob: 4 });
const dalle3 = createJobRequestParser(getModelProfile('dall-e-3'), { promptMaxChars: 100, maxImagesPerJob: 4 });

function rejection(parse: () => unknown): RequestError {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof RequestError, `expected a RequestError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to be refused');
}

describe('job request validation', () => {
  const badRequests: Array<{ name: string; body: unknown; code: string; target: string; message?: RegExp; parser?: typeof gptImage }> = [
    { name: 'body is an array', body: [], code: 'InvalidRequest', target: 'body' },
    { name: 'body is a string', body: 'draw a cat', code: 'InvalidRequest', target: 'body' },
    { name: 'body is null', body: null, code: 'InvalidRequest', target: 'body' },
    { name: 'prompt missing', body: {}, code: 'MissingField', target: 'prompt', message: /prompt is required/ },
    { name: 'prompt not a string', body: { prompt: 42 }, code: 'InvalidField', target: 'prompt' },
    { name: 'prompt empty', body: { prompt: '' }, code: 'InvalidField', target: 'prompt', message: /must not be empty/ },
    { name: 'prompt only spaces', body: { prompt: '   \n ' }, code: 'InvalidField', target: 'prompt', message: /must not be empty/ },
    { name: 'prompt too long', body: { prompt: 'a'.repeat(101) }, code: 'PromptTooLong', target: 'prompt', message: /at most 100 characters/ },
    { name: 'prompt with NUL', body: { prompt: 'a cat\u0000' }, code: 'InvalidField', target: 'prompt', message: /control characters/ },
    { name: 'prompt with ESC', body: { prompt: 'a cat\u001b[31m' }, code: 'InvalidField', target: 'prompt', message: /control characters/ },
    { name: 'prompt with a bidi override', body: { prompt: 'a cat \u202Egnihtemos' }, code: 'InvalidField', target: 'prompt', message: /bidirectional/ },
    { name: 'prompt with a bidi isolate', body: { prompt: 'a cat \u2067x\u2069' }, code: 'InvalidField', target: 'prompt', message: /bidirectional/ },
    { name: 'prompt with a lone surrogate', body: { prompt: 'a cat \ud800' }, code: 'InvalidField', target: 'prompt', message: /lone surrogate/ },
    { name: 'prompt of only invisible characters', body: { prompt: '\u200B\u200B\uFEFF' }, code: 'InvalidField', target: 'prompt', message: /must not be empty/ },
    { name: 'metadata value with a bidi override', body: { prompt: 'a cat', metadata: { classId: '\u202E4B' } }, code: 'InvalidField', target: 'metadata.classId' },
    { name: 'metadata value with NUL', body: { prompt: 'a cat', metadata: { classId: '4B\u0000' } }, code: 'InvalidField', target: 'metadata.classId' },
    { name: 'n zero', body: { prompt: 'a cat', n: 0 }, code: 'InvalidField', target: 'n', message: /1 to 4/ },
    { name: 'n too big', body: { prompt: 'a cat', n: 5 }, code: 'InvalidField', target: 'n', message: /1 to 4/ },
    { name: 'n fractional', body: { prompt: 'a cat', n: 1.5 }, code: 'InvalidField', target: 'n' },
    { name: 'n as string', body: { prompt: 'a cat', n: '2' }, code: 'InvalidField', target: 'n' },
    { name: 'orientation unknown', body: { prompt: 'a cat', orientation: 'diagonal' }, code: 'InvalidField', target: 'orientation', message: /square, landscape, portrait/ },
    { name: 'size of another model', body: { prompt: 'a cat', size: '1792x1024' }, code: 'InvalidField', target: 'size', message: /1024x1024, 1536x1024, 1024x1536/ },
    { name: 'size contradicts orientation', body: { prompt: 'a cat', size: '1024x1024', orientation: 'portrait' }, code: 'InvalidField', target: 'size', message: /contradicts/ },
    { name: 'quality of dall-e-3 on gpt-image-1', body: { prompt: 'a cat', quality: 'hd' }, code: 'InvalidField', target: 'quality', message: /low, medium, high/ },
    { name: 'style on gpt-image-1', body: { prompt: 'a cat', style: 'vivid' }, code: 'InvalidField', target: 'style', message: /not supported by model gpt-image-1/ },
    { name: 'style unknown on dall-e-3', body: { prompt: 'a cat', style: 'noir' }, code: 'InvalidField', target: 'style', message: /vivid, natural/, parser: dalle3 },
    { name: 'quality unknown on dall-e-3', body: { prompt: 'a cat', quality: 'high' }, code: 'InvalidField', target: 'quality', message: /standard, hd/, parser: dalle3 },
    { name: 'user with spaces', body: { prompt: 'a cat', user: 'Jan Jansen' }, code: 'InvalidField', target: 'user' },
    { name: 'user too long', body: { prompt: 'a cat', user: 'x'.repeat(65) }, code: 'InvalidField', target: 'user' },
    { name: 'metadata not an object', body: { prompt: 'a cat', metadata: 'class-4b' }, code: 'InvalidField', target: 'metadata' },
    { name: 'metadata value not a string', body: { prompt: 'a cat', metadata: { classId: 4 } }, code: 'InvalidField', target: 'metadata.classId' },
    { name: 'metadata value too long', body: { prompt: 'a cat', metadata: { classId: 'x'.repeat(129) } }, code: 'InvalidField', target: 'metadata.classId' },
    { name: 'metadata bad key', body: { prompt: 'a cat', metadata: { 'class id': 'x' } }, code: 'InvalidField', target: 'metadata.class id' },
    {
      name: 'metadata too many entries',
      body: { prompt: 'a cat', metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'])) },
      code: 'InvalidField',
      target: 'metadata',
      message: /at most 8/,
    },
    { name: 'temperature', body: { prompt: 'a cat', temperature: 0.7 }, code: 'UnknownField', target: 'temperature', message: /Images API has no temperature/ },
    { name: 'unknown field', body: { prompt: 'a cat', colour: 'red' }, code: 'UnknownField', target: 'colour', message: /Allowed fields: prompt, n/ },
    { name: 'misspelt prompt', body: { promt: 'a cat' }, code: 'UnknownField', target: 'promt' },
    { name: 'model chosen by client', body: { prompt: 'a cat', model: 'dall-e-2' }, code: 'UnknownField', target: 'model' },
  ];

  for (const { name, body, code, target, message, parser } of badRequests) {
    it(`refuses: ${name}`, () => {
      const error = rejection(() => (parser ?? gptImage).parse(body));
      assert.equal(error.status, 400);
      assert.equal(error.code, code);
      assert.equal(error.target, target);
      if (message) assert.match(error.message, message);
    });
  }

  it('fills defaults: one square image', () => {
    assert.deepEqual(gptImage.parse({ prompt: '  A dog beside the Eiffel Tower  ' }), {
      prompt: 'A dog beside the Eiffel Tower',
      n: 1,
      orientation: 'square',
      size: '1024x1024',
    });
  });

  it('maps orientation to the model size', () => {
    assert.equal(gptImage.parse({ prompt: 'a cat', orientation: 'landscape' }).size, '1536x1024');
    assert.equal(dalle3.parse({ prompt: 'a cat', orientation: 'landscape' }).size, '1792x1024');
    assert.equal(dalle3.parse({ prompt: 'a cat', orientation: 'portrait' }).size, '1024x1792');
  });

  it('derives the orientation from a model-native size', () => {
    const request = dalle3.parse({ prompt: 'a cat', size: '1024x1792' });
    assert.equal(request.orientation, 'portrait');
  });

  it('keeps every allowed field as given', () => {
    const body = {
      prompt: 'a cat',
      n: 3,
      orientation: 'square',
      size: '1024x1024',
      quality: 'hd',
      style: 'natural',
      user: 'student-42',
      metadata: { classId: '4B', assignmentId: 'monuments-1' },
    };
    assert.deepEqual(dalle3.parse(structuredClone(body)), body);
  });

  it('removes invisible characters and normalises width, keeping the words', () => {
    assert.equal(gptImage.parse({ prompt: 'a\u200B cat\u00AD in ｐａｒｉｓ\uFEFF' }).prompt, 'a cat in paris');
    assert.equal(gptImage.parse({ prompt: 'a cat', metadata: { classId: '４B' } }).metadata?.['classId'], '4B');
  });

  it('counts characters, not UTF-16 units, against the prompt limit', () => {
    assert.equal(gptImage.parse({ prompt: '🐶'.repeat(100) }).prompt.length, 200);
  });
});
