import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A recording proxy that sits between our real client code and a stand-in, so a contract test sees the exact
 * requests our code sends and the exact answers the stand-in gives (docs/contracts.md); and readers for the
 * two bodies that are not plain JSON: a multipart form and a server-sent-events stream.
 */

/** One exchange through the recording proxy. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly requestHeaders: http.IncomingHttpHeaders;
  readonly requestBody: Buffer;
  readonly status: number;
  readonly responseHeaders: Headers;
  readonly responseBody: Buffer;
}

export interface RecordingProxy {
  readonly url: string;
  exchanges(): readonly Exchange[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that forwards every request to `target` and keeps both sides: what our client sent
 * (the real bytes, before any stand-in parses them) and what the stand-in answered (a stream included,
 * once it ends).
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const recorded: Exchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', target);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && name !== 'host' && name !== 'content-length' && name !== 'connection') headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const forward = async () => {
        const answer = await fetch(url, { method: req.method ?? 'GET', headers, ...(requestBody.length ? { body: requestBody } : {}) });
        const responseBody = Buffer.from(await answer.arrayBuffer());
        recorded.push({
          method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, requestHeaders: req.headers, requestBody,
          status: answer.status, responseHeaders: answer.headers, responseBody,
        });
        const out: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') out[name] = value;
        });
        res.writeHead(answer.status, out);
        res.end(responseBody);
      };
      forward().catch((error: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording proxy: ${String(error)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges: () => recorded,
    clear: () => void recorded.splice(0),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A multipart body as the fields a schema names: text fields as sent (numbers and booleans parsed), files as "(binary)". */
export async function multipartFields(exchange: Exchange): Promise<Record<string, unknown>> {
  const form = await new Request('http://local/', {
    method: 'POST',
    headers: { 'content-type': String(exchange.requestHeaders['content-type'] ?? '') },
    body: exchange.requestBody,
  }).formData();
  const fields: Record<string, unknown> = {};
  for (const [rawName, value] of form.entries()) {
    // Form arrays are sent as `name[]` (the openai client, and Learn's example `-F "image[]=@beach.png"`).
    const isArray = rawName.endsWith('[]');
    const name = isArray ? rawName.slice(0, -2) : rawName;
    const item = typeof value === 'string' ? parseFormText(value) : '(binary)';
    if (isArray) fields[name] = [...(Array.isArray(fields[name]) ? (fields[name] as unknown[]) : []), item];
    else fields[name] = item;
  }
  return fields;
}

function parseFormText(value: string): unknown {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

/** The events of a server-sent-events body: `event:` name and the parsed JSON of its `data:`. */
export function serverSentEvents(body: Buffer): { event: string; data: unknown }[] {
  return body
    .toString('utf8')
    .split(/\n\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}
