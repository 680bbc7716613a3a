import type http from 'node:http';
import { readBody } from '../standIn';

/** Edits carry up to 16 pictures; generation bodies are a few KiB. */
const maxBodyBytes = 64 * 1024 * 1024;

/** An edit's pictures: the `image` files in the order sent, and the optional mask. */
export interface EditPictures {
  readonly images: Buffer[];
  readonly mask?: Buffer;
}

export interface ImageRequest {
  /** The parameters, as JSON or as the multipart text fields. */
  readonly body: Record<string, unknown>;
  /** Present for an edit. */
  readonly edit?: EditPictures;
}

/** Multipart sends every field as text; these go back to the types the JSON API has. */
const numericFields = ['n', 'output_compression', 'partial_images'];

/**
 * A generation's JSON object or an edit's multipart form, or undefined when the body is neither (the caller
 * answers 400).
 */
export async function readImageRequest(req: http.IncomingMessage, operation: 'generations' | 'edits'): Promise<ImageRequest | undefined> {
  try {
    if (operation === 'edits') {
      const { body, ...edit } = await readEditBody(req);
      return { body, edit };
    }
    const parsed: unknown = JSON.parse((await readBody(req, maxBodyBytes)).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return { body: parsed as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/**
 * An edit's multipart body, as the openai client sends it: the parameters as text fields (numbers parsed
 * back), the pictures as `image` or `image[]` files and an optional `mask` file.
 */
async function readEditBody(req: http.IncomingMessage): Promise<{ body: Record<string, unknown>; images: Buffer[]; mask?: Buffer }> {
  const bytes = await readBody(req, maxBodyBytes);
  const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type'] ?? '') }, body: bytes }).formData();
  const body: Record<string, unknown> = {};
  const images: Buffer[] = [];
  let mask: Buffer | undefined;
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') {
      const file = Buffer.from(await value.arrayBuffer());
      if (name === 'mask') mask = file;
      else if (name === 'image' || name === 'image[]') images.push(file);
      else body[name] = '(file)';
      continue;
    }
    body[name] = formFieldValue(name, value);
  }
  return { body, images, ...(mask ? { mask } : {}) };
}

function formFieldValue(name: string, value: string): unknown {
  if (numericFields.includes(name) && /^\d+$/.test(value)) return Number(value);
  if (name === 'stream' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}
