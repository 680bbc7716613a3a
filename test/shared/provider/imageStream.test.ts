import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readImageStream, type ImageStreamEvent } from '../../../shared/provider/imageStream';
import { imageFormatOf } from '../../../shared/provider/imageProvider';

/** The reading of a streamed image call, over events as the openai client yields them. */
describe('image stream', () => {
  const png = (marker: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from([marker, 1, 2, 3])]);
  const settings = { background: 'opaque', created_at: 1, output_format: 'png', quality: 'low', size: '1024x1024' } as const;
  const usage = { input_tokens: 10, input_tokens_details: { image_tokens: 0, text_tokens: 10 }, output_tokens: 472, total_tokens: 482 };
  async function* events(...list: ImageStreamEvent[]): AsyncGenerator<ImageStreamEvent> {
    for (const event of list) yield await Promise.resolve(event);
  }
  const partial = (index: number, bytes: Buffer): ImageStreamEvent => ({ type: 'image_generation.partial_image', partial_image_index: index, b64_json: bytes.toString('base64'), ...settings });

  it('hands each partial over in order, awaiting it, and returns the completed picture with its usage', async () => {
    const seen: string[] = [];
    const answer = await readImageStream(
      events(partial(0, png(0)), partial(1, png(1)), { type: 'image_generation.completed', b64_json: png(9).toString('base64'), usage, ...settings }),
      {
        outputFormat: 'png',
        formatOf: imageFormatOf,
        onPartial: async (p) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          seen.push(`${p.partialIndex}:${p.bytes[8]}`);
        },
      },
    );
    assert.deepEqual(seen, ['0:0', '1:1']);
    assert.deepEqual(answer, { data: [{ b64_json: png(9).toString('base64') }], usage });
  });

  it('reads edit events the same way', async () => {
    const seen: number[] = [];
    const answer = await readImageStream(
      events({ ...partial(0, png(0)), type: 'image_edit.partial_image' } as ImageStreamEvent, { type: 'image_edit.completed', b64_json: png(9).toString('base64'), usage, ...settings }),
      { outputFormat: 'png', formatOf: imageFormatOf, onPartial: (p) => Promise.resolve(void seen.push(p.partialIndex)) },
    );
    assert.deepEqual(seen, [0]);
    assert.equal(answer.data.length, 1);
  });

  it('skips a partial that is not a picture of the format asked for, and gives no picture for a stream that ended early', async () => {
    const seen: number[] = [];
    const answer = await readImageStream(events(partial(0, Buffer.from('not an image')), partial(1, png(1))), {
      outputFormat: 'png',
      formatOf: imageFormatOf,
      onPartial: (p) => Promise.resolve(void seen.push(p.partialIndex)),
    });
    assert.deepEqual(seen, [1]);
    assert.deepEqual(answer, { data: [] });
  });

  it('passes the error the client throws for an error event on to the caller', async () => {
    async function* failing(): AsyncGenerator<ImageStreamEvent> {
      yield await Promise.resolve(partial(0, png(0)));
      throw new Error('error event');
    }
    await assert.rejects(readImageStream(failing(), { outputFormat: 'png', formatOf: imageFormatOf }), /error event/);
  });
});
