import type http from 'node:http';
import sharp from 'sharp';

export interface StreamPlan {
  /** `image_generation` or `image_edit`: the events' type prefix. */
  readonly eventPrefix: string;
  readonly n: number;
  readonly partialImages: number;
  /** The whole answer's time, spread evenly over the partials and the final picture of each image. */
  readonly latencyMs: number;
  readonly render: () => Promise<Buffer>;
  readonly settings: { readonly size: string; readonly quality: string; readonly background: string; readonly output_format: string };
  readonly usage: () => unknown;
  /** The safety system's answer for the picture: sent as an error event after the partials, instead of the picture. */
  readonly blocked?: object;
}

/**
 * A streamed answer in the provider's event format, as the openai client parses it (`event:` name and a JSON
 * `data:` line per event): for each image, `partial_images` partials (the final placeholder at lower detail,
 * sharper each time), then `{prefix}.completed` with the picture and the call's usage. A picture the safety
 * system blocks ends the stream with an `error` event carrying the same error body as a plain answer.
 */
export async function streamAnswer(res: http.ServerResponse, plan: StreamPlan): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const send = (event: string, data: unknown) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, plan.latencyMs / (plan.n * (plan.partialImages + 1))));
  const createdAt = () => Math.floor(Date.now() / 1000);
  for (let i = 0; i < plan.n && !res.destroyed; i++) {
    const image = await plan.render();
    for (let partial = 0; partial < plan.partialImages && !res.destroyed; partial++) {
      await pause();
      const bytes = await lowerDetail(image, plan.settings.output_format, (partial + 1) / (plan.partialImages + 1));
      send(`${plan.eventPrefix}.partial_image`, {
        type: `${plan.eventPrefix}.partial_image`, b64_json: bytes.toString('base64'), created_at: createdAt(), partial_image_index: partial, ...plan.settings,
      });
    }
    if (plan.blocked) {
      send('error', { type: 'error', ...plan.blocked });
      res.end();
      return;
    }
    await pause();
    send(`${plan.eventPrefix}.completed`, {
      type: `${plan.eventPrefix}.completed`, b64_json: image.toString('base64'), created_at: createdAt(), ...plan.settings, usage: plan.usage(),
    });
  }
  res.end();
}

/** The picture at a fraction of its detail (scaled down and back up), in its own format: an early partial image. */
async function lowerDetail(image: Buffer, format: string, detail: number): Promise<Buffer> {
  const metadata = await sharp(image).metadata();
  const width = metadata.width ?? 1024;
  const height = metadata.height ?? 1024;
  const scale = Math.max(0.02, detail * detail * 0.25);
  const small = await sharp(image).resize(Math.max(8, Math.round(width * scale)), Math.max(8, Math.round(height * scale))).toBuffer();
  const large = sharp(small).resize(width, height, { kernel: 'cubic' });
  if (format === 'jpeg') return large.jpeg({ quality: 80 }).toBuffer();
  if (format === 'webp') return large.webp({ quality: 80 }).toBuffer();
  // Without adaptive filtering: half the CPU here, and smaller for these flat placeholders (npm test is CPU-bound).
  return large.png({ compressionLevel: 6 }).toBuffer();
}
