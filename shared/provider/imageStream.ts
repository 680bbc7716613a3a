import type { ImageEditStreamEvent, ImageGenCompletedEvent, ImageGenStreamEvent } from 'openai/resources/images';
import type { OutputFormat } from '../models/modelCatalogue';

/**
 * Reading a streamed image call (`stream: true`, `partial_images`): the provider sends server-sent events
 * `image_generation.partial_image` (or `image_edit.partial_image`) with a full, blurrier picture in
 * `b64_json` and its `partial_image_index`, then `image_generation.completed` (`image_edit.completed`) with
 * the final picture and the call's `usage`. The openai client parses the events (and throws an APIError
 * for an `error` event, e.g. the safety system blocking the picture mid-stream); this module turns them
 * into the same result a non-streamed call gives, handing each partial to a callback as it comes.
 *
 * The events carry no picture index (openai 7.57 types), so only one-picture calls are streamed (see
 * jobs/previews.ts); the partials then all belong to that picture.
 */

export type ImageStreamEvent = ImageGenStreamEvent | ImageEditStreamEvent;

export interface PartialImage {
  /** 0-based: the first, second or third partial of the picture. */
  readonly partialIndex: number;
  readonly bytes: Buffer;
}

/** The same token counts a non-streamed answer carries. */
export type StreamUsage = ImageGenCompletedEvent['usage'];

/** A streamed call's result in the shape of a non-streamed answer (`data`, `usage`), so one check reads both. */
export interface StreamedAnswer {
  readonly data: { readonly b64_json: string }[];
  readonly usage?: StreamUsage;
}

/**
 * The completed pictures of a stream (in order) and the last usage reported; partials go to onPartial,
 * awaited in turn so they are stored in the order they came. A partial that is not an image of the format
 * asked for is skipped (a preview is a nicety); the final pictures are checked by the caller as always.
 */
export async function readImageStream(
  events: AsyncIterable<ImageStreamEvent>,
  options: { readonly outputFormat: OutputFormat; readonly formatOf: (bytes: Buffer) => OutputFormat | undefined; readonly onPartial?: (partial: PartialImage) => Promise<void> },
): Promise<StreamedAnswer> {
  const data: { b64_json: string }[] = [];
  let usage: StreamUsage | undefined;
  for await (const event of events) {
    if (event.type === 'image_generation.partial_image' || event.type === 'image_edit.partial_image') {
      if (!options.onPartial || !event.b64_json) continue;
      const bytes = Buffer.from(event.b64_json, 'base64');
      if (options.formatOf(bytes) !== options.outputFormat) continue;
      await options.onPartial({ partialIndex: event.partial_image_index, bytes });
    } else if (event.type === 'image_generation.completed' || event.type === 'image_edit.completed') {
      data.push({ b64_json: event.b64_json });
      if (event.usage) usage = event.usage;
    }
    // Other event types (a newer API's) are not ours to interpret.
  }
  return { data, ...(usage ? { usage } : {}) };
}
