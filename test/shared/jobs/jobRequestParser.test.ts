import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError } from '../../../shared/errors';
import { createJobRequestParser } from '../../../shared/jobs/jobRequestParser';
import { getModel } from '../../../shared/models/modelCatalogue';

const limits = { promptMaxChars: 100, maxImagesPerJob: 4, maxEditImages: 4 };
// Parsers are pure: the retired models' entries still describe their rules (fixed sizes, dall-e-3's style).
const gptImage = createJobRequestParser(getModel('gpt-image-1'), 'azure-openai', limits);
const dalle3 = createJobRequestParser(getModel('dall-e-3'), 'azure-openai', limits);
const gptImage2 = createJobRequestParser(getModel('gpt-image-2'), 'azure-openai', limits);
const gptImage2OpenAi = createJobRequestParser(getModel('gpt-image-2'), 'openai', limits);

function rejection(parse: () => unknown): BadRequestError {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof BadRequestError, `expected a BadRequestError, got ${String(error)}`);
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
    { name: 'moderation chosen by client', body: { prompt: 'a cat', moderation: 'low' }, code: 'UnknownField', target: 'moderation', message: /auto/ },
    { name: 'metadata key __proto__', body: JSON.parse('{"prompt":"a cat","metadata":{"__proto__":"x"}}') as unknown, code: 'InvalidField', target: 'metadata.__proto__', message: /reserved/ },
    { name: 'metadata key constructor', body: { prompt: 'a cat', metadata: { constructor: 'x' } }, code: 'InvalidField', target: 'metadata.constructor', message: /reserved/ },
    { name: 'a field named __proto__', body: JSON.parse('{"prompt":"a cat","__proto__":{"n":3}}') as unknown, code: 'UnknownField', target: '__proto__', message: /Unknown field '__proto__'/ },
    { name: 'a field named hasOwnProperty', body: { prompt: 'a cat', hasOwnProperty: 1 }, code: 'UnknownField', target: 'hasOwnProperty', message: /Unknown field 'hasOwnProperty'/ },
    { name: 'a field named valueOf', body: { prompt: 'a cat', valueOf: 1 }, code: 'UnknownField', target: 'valueOf', message: /Unknown field 'valueOf'/ },
    { name: 'user that is an e-mail address', body: { prompt: 'a cat', user: 'jan.jansen@school.nl' }, code: 'InvalidField', target: 'user', message: /e-mail address.*opaque student id/ },
    { name: 'user that is a phone number', body: { prompt: 'a cat', user: '+31612345678' }, code: 'InvalidField', target: 'user', message: /phone number/ },
    { name: 'user that is a Dutch mobile number', body: { prompt: 'a cat', user: '06-12345678' }, code: 'InvalidField', target: 'user', message: /phone number/ },
    { name: 'kind unknown', body: { prompt: 'a cat', kind: 'inpaint' }, code: 'InvalidField', target: 'kind', message: /generate, edit, variation/, parser: gptImage2 },
    { name: 'an edit without images', body: { kind: 'edit', prompt: 'a hat' }, code: 'MissingField', target: 'images', parser: gptImage2 },
    { name: 'an edit without a prompt', body: { kind: 'edit', images: [{ uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' }] }, code: 'MissingField', target: 'prompt', parser: gptImage2 },
    { name: 'an edit with too many images', body: { kind: 'edit', prompt: 'a hat', images: Array.from({ length: 5 }, () => ({ uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' })) }, code: 'InvalidField', target: 'images', message: /1 to 4 pictures/, parser: gptImage2 },
    { name: 'an image that is neither a job image nor an upload', body: { kind: 'variation', image: { url: 'https://example.org/cat.png' } }, code: 'InvalidField', target: 'image', message: /jobId.*uploadId/, parser: gptImage2 },
    { name: 'images on a generate job', body: { prompt: 'a cat', images: [{ uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' }] }, code: 'InvalidField', target: 'images', message: /kind generate/, parser: gptImage2 },
    { name: 'a variation with a mask', body: { kind: 'variation', image: { uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' }, mask: { uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' } }, code: 'InvalidField', target: 'mask', parser: gptImage2 },
    { name: 'an edit on a model without edits', body: { kind: 'edit', prompt: 'a hat', images: [{ uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' }] }, code: 'UnsupportedKind', target: 'kind', message: /dall-e-3 has none/, parser: dalle3 },
    { name: 'a field named constructor', body: { prompt: 'a cat', constructor: 1 }, code: 'UnknownField', target: 'constructor', message: /Unknown field 'constructor'/ },
    { name: 'a field named toString', body: { prompt: 'a cat', toString: 1 }, code: 'UnknownField', target: 'toString', message: /Unknown field 'toString'/ },
    { name: 'aspectRatio unknown', body: { prompt: 'a cat', aspectRatio: '5:4' }, code: 'InvalidField', target: 'aspectRatio', message: /1:1, 4:3, 3:2, 16:9, 3:4, 2:3, 9:16/, parser: gptImage2 },
    { name: 'aspectRatio contradicts orientation', body: { prompt: 'a cat', aspectRatio: '9:16', orientation: 'landscape' }, code: 'InvalidField', target: 'aspectRatio', message: /contradicts/, parser: gptImage2 },
    { name: 'size and aspectRatio together', body: { prompt: 'a cat', aspectRatio: '16:9', size: '1536x864' }, code: 'InvalidField', target: 'aspectRatio', message: /not both/, parser: gptImage2 },
    { name: 'gpt-image-2 size not a multiple of 16', body: { prompt: 'a cat', size: '1000x1000' }, code: 'InvalidField', target: 'size', message: /multiples of 16.*1000x1000: width and height must be multiples of 16/, parser: gptImage2 },
    { name: 'gpt-image-2 size too flat', body: { prompt: 'a cat', size: '3840x1040' }, code: 'InvalidField', target: 'size', message: /between 1:3 and 3:1/, parser: gptImage2 },
    { name: 'gpt-image-2 size too small', body: { prompt: 'a cat', size: '512x512' }, code: 'InvalidField', target: 'size', message: /at least 655,360 pixels/, parser: gptImage2 },
    { name: 'gpt-image-2 size too large', body: { prompt: 'a cat', size: '3840x2400' }, code: 'InvalidField', target: 'size', message: /at most 8,294,400 pixels/, parser: gptImage2 },
    { name: 'gpt-image-2 size edge too long', body: { prompt: 'a cat', size: '4096x1600' }, code: 'InvalidField', target: 'size', message: /longer than 3840/, parser: gptImage2 },
    { name: 'webp on Azure', body: { prompt: 'a cat', outputFormat: 'webp' }, code: 'InvalidField', target: 'outputFormat', message: /png, jpeg for model gpt-image-2 on azure-openai/, parser: gptImage2 },
    { name: 'gif', body: { prompt: 'a cat', outputFormat: 'gif' }, code: 'InvalidField', target: 'outputFormat', message: /png, jpeg, webp/, parser: gptImage2OpenAi },
    { name: 'jpeg on dall-e-3', body: { prompt: 'a cat', outputFormat: 'jpeg' }, code: 'InvalidField', target: 'outputFormat', message: /one of png for model dall-e-3/, parser: dalle3 },
    { name: 'compression for png', body: { prompt: 'a cat', outputCompression: 50 }, code: 'InvalidField', target: 'outputCompression', message: /jpeg or webp/, parser: gptImage2 },
    { name: 'compression above 100', body: { prompt: 'a cat', outputFormat: 'jpeg', outputCompression: 101 }, code: 'InvalidField', target: 'outputCompression', message: /0 to 100/, parser: gptImage2 },
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
      outputFormat: 'png',
    });
  });

  it('maps orientation to the model size: on gpt-image-2 landscape is 16:9', () => {
    assert.equal(gptImage2.parse({ prompt: 'a cat', orientation: 'landscape' }).size, '1536x864');
    assert.equal(gptImage2.parse({ prompt: 'a cat', orientation: 'portrait' }).size, '864x1536');
    assert.equal(gptImage.parse({ prompt: 'a cat', orientation: 'landscape' }).size, '1536x1024');
    assert.equal(dalle3.parse({ prompt: 'a cat', orientation: 'landscape' }).size, '1792x1024');
    assert.equal(dalle3.parse({ prompt: 'a cat', orientation: 'portrait' }).size, '1024x1792');
  });

  it('maps each aspect ratio to a size: exact on gpt-image-2, the nearest on fixed-size models', () => {
    const table = [
      ['1:1', '1024x1024', '1024x1024', 'square'],
      ['4:3', '1536x1152', '1536x1024', 'landscape'],
      ['3:2', '1536x1024', '1536x1024', 'landscape'],
      ['16:9', '1536x864', '1536x1024', 'landscape'],
      ['3:4', '1152x1536', '1024x1536', 'portrait'],
      ['2:3', '1024x1536', '1024x1536', 'portrait'],
      ['9:16', '864x1536', '1024x1536', 'portrait'],
    ] as const;
    for (const [aspectRatio, onGptImage2, onFixed, orientation] of table) {
      const request = gptImage2.parse({ prompt: 'a cat', aspectRatio });
      assert.deepEqual([request.size, request.orientation, request.aspectRatio], [onGptImage2, orientation, aspectRatio]);
      assert.equal(gptImage.parse({ prompt: 'a cat', aspectRatio }).size, onFixed);
    }
  });

  it('accepts any gpt-image-2 size under its rule and derives the orientation', () => {
    for (const [size, orientation] of [['3840x2160', 'landscape'], ['1024x3072', 'portrait'], ['2048x2048', 'square'], ['1024x640', 'landscape']] as const) {
      const request = gptImage2.parse({ prompt: 'a cat', size });
      assert.deepEqual([request.size, request.orientation], [size, orientation]);
    }
  });

  it('takes jpeg with compression, and webp where the provider has it', () => {
    assert.deepEqual(
      [gptImage2.parse({ prompt: 'a cat', outputFormat: 'jpeg', outputCompression: 80 })].map((r) => [r.outputFormat, r.outputCompression]),
      [['jpeg', 80]],
    );
    assert.equal(gptImage2OpenAi.parse({ prompt: 'a cat', outputFormat: 'webp' }).outputFormat, 'webp');
  });

  it('stores an edit and a variation with their pictures; a generate job reads as before', () => {
    const upload = { uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' };
    const edit = gptImage2.parse({ kind: 'edit', prompt: 'give the bunny a hat', images: [upload], mask: upload });
    assert.deepEqual([edit.kind, edit.images, edit.mask], ['edit', [upload], upload]);
    const variation = gptImage2.parse({ kind: 'variation', image: { jobId: '0b6d2f4e-5b7a-4c1e-9f7d-1b2c3d4e5f60', index: 1 } });
    assert.deepEqual([variation.kind, variation.images, variation.prompt], ['variation', [{ jobId: '0b6d2f4e-5b7a-4c1e-9f7d-1b2c3d4e5f60', index: 1 }], undefined]);
    assert.equal('kind' in gptImage2.parse({ prompt: 'a cat', kind: 'generate' }), false);
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
      outputFormat: 'png',
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
    assert.equal(gptImage.parse({ prompt: '🐶'.repeat(100) }).prompt?.length, 200);
  });
});
