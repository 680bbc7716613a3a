import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv from 'ajv';
import { projectDir } from '../../local/harness/stack';

/**
 * The vendors' published contracts, as test/contracts/extract.ts extracts them, turned into validators; and a
 * recording proxy that sits between our real client code and a stand-in, so a test sees the exact requests
 * our code sends and the exact answers the stand-in gives (docs/contracts.md).
 *
 * Where the extracts live: they are copies of vendor files, which this repository does not commit (they come
 * from public repositories through a tool whose copies stay out of project commits). They are looked for in
 * CONTRACTS_DIR, then in the shared folder beside the repository (`../shared/contracts`), then in the
 * git-ignored `.contracts/` that extract.ts writes by default; a contract test with none skips and says so.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const contractsDirs: readonly string[] = [
  ...(process.env['CONTRACTS_DIR'] ? [process.env['CONTRACTS_DIR']] : []),
  path.join(projectDir, '..', 'shared', 'contracts'),
  path.join(projectDir, '.contracts'),
];

/** The first directory that has this contract file, or undefined (the caller skips with `missingContract`). */
export function findContract(file: string): string | undefined {
  for (const dir of contractsDirs) if (existsSync(path.join(dir, file))) return path.join(dir, file);
  return undefined;
}

export function missingContract(file: string): string {
  return `no vendor contract ${file} in ${contractsDirs.join(', ')}: make it with test/contracts/extract.ts (docs/contracts.md)`;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readJsonFile(file: string): JsonObject {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Json;
  if (!isObject(value)) throw new Error(`${file} is not a JSON object`);
  return value;
}

/** Keywords of OpenAPI that JSON Schema (draft-07, what ajv 6 checks) does not have, or that only annotate. */
const annotationOnly = new Set(['example', 'examples', 'discriminator', 'xml', 'externalDocs', 'deprecated', 'readOnly', 'writeOnly', 'nullable']);

/**
 * OpenAPI 3.x / Swagger 2.0 schema → JSON Schema draft-07: `nullable: true` becomes "or null", references
 * point into one `definitions` table, annotations and `x-` extensions go. With `closed`, every object that
 * names its properties refuses any other property (`propertyNames`, which unlike additionalProperties also
 * counts properties named in `allOf` parts): the vendors' schemas leave objects open, and an open schema
 * would let a misspelt or unknown parameter through.
 */
function convert(node: Json, definitions: JsonObject, closed: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => convert(item, definitions, closed));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (annotationOnly.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') out[key] = `#/definitions/${value.split('/').pop() ?? ''}`;
    else if (key === 'properties' && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, convert(child, definitions, closed)]));
    // The parts of an allOf stay open: each sees the whole object; the schema that combines them is closed.
    else if (key === 'allOf') out[key] = convert(value, definitions, false);
    else out[key] = convert(value, definitions, closed);
  }
  const composed = isObject(out['properties']) || Array.isArray(out['allOf']);
  if (closed && composed && out['additionalProperties'] === undefined && out['anyOf'] === undefined && out['oneOf'] === undefined) {
    const names = propertyNamesOf(out, definitions, new Set());
    if (names.size > 0) out['propertyNames'] = { enum: [...names] };
  }
  return node['nullable'] === true ? { anyOf: [out, { type: 'null' }] } : out;
}

function collectAllOfRefs(node: Json | undefined, found: Set<string>): void {
  if (Array.isArray(node)) for (const item of node) collectAllOfRefs(item, found);
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'allOf' && Array.isArray(value)) {
        for (const part of value) if (isObject(part) && typeof part['$ref'] === 'string') found.add(part['$ref'].split('/').pop() ?? '');
      }
      collectAllOfRefs(value, found);
    }
  }
}

/** Property names a schema allows: its own and those of its `allOf` parts (references followed). */
function propertyNamesOf(schema: JsonObject, definitions: JsonObject, seen: Set<string>): Set<string> {
  const names = new Set(isObject(schema['properties']) ? Object.keys(schema['properties']) : []);
  for (const part of Array.isArray(schema['allOf']) ? schema['allOf'] : []) {
    let target: Json | undefined = part;
    const ref = isObject(part) && typeof part['$ref'] === 'string' ? part['$ref'].split('/').pop() : undefined;
    if (ref !== undefined) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      target = definitions[ref];
    }
    if (isObject(target)) for (const name of propertyNamesOf(target, definitions, seen)) names.add(name);
  }
  return names;
}

export interface ValidationProblem {
  /** Where in the instance: `/size`, `/error/inner_error/code`, or `` for the whole. */
  readonly at: string;
  /** A property the contract does not name (closed objects), or undefined for other problems. */
  readonly unknownProperty?: string;
  readonly message: string;
}

export type Validator = (value: unknown) => readonly ValidationProblem[];

/** One vendor contract (an extract): validators for its request bodies and answers by operation. */
export class Contract {
  readonly source: JsonObject;
  private readonly definitions: JsonObject;
  private readonly ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', jsonPointers: true });

  constructor(private readonly document: JsonObject) {
    this.source = isObject(document['x-extracted-from']) ? document['x-extracted-from'] : {};
    const components = document['components'];
    const raw = isObject(components) && isObject(components['schemas']) ? components['schemas'] : isObject(document['definitions']) ? document['definitions'] : {};
    this.definitions = raw;
  }

  /** The path of the full vendor file this was extracted from. */
  get sourcePath(): string {
    return typeof this.source['path'] === 'string' ? this.source['path'] : '';
  }

  static read(file: string): Contract {
    return new Contract(readJsonFile(file));
  }

  private operation(route: string): JsonObject {
    const paths = this.document['paths'];
    const entry = isObject(paths) ? paths[route] : undefined;
    const post = isObject(entry) ? entry['post'] : undefined;
    if (!isObject(post)) throw new Error(`the contract has no POST ${route}`);
    return post;
  }

  /** The schema of the request body (OpenAPI 3 `requestBody`, Swagger 2 `in: body`), for a content type if there are several. */
  requestSchema(route: string, contentType?: string): Json {
    const operation = this.operation(route);
    const body = operation['requestBody'];
    if (isObject(body) && isObject(body['content'])) {
      const content = body['content'];
      const media = content[contentType ?? Object.keys(content)[0] ?? ''] ?? Object.values(content)[0];
      if (isObject(media)) return media['schema'] ?? null;
    }
    const parameters = operation['parameters'];
    const inBody = Array.isArray(parameters) ? parameters.find((p) => isObject(p) && p['in'] === 'body') : undefined;
    if (isObject(inBody)) return inBody['schema'] ?? null;
    throw new Error(`POST ${route} has no request body schema`);
  }

  /** The schema of an answer: the status's own, else `default` (the vendors' error answer); null when there is none. */
  responseSchema(route: string, status: number, contentType = 'application/json'): Json {
    const responses = this.operation(route)['responses'];
    if (!isObject(responses)) return null;
    const response = responses[String(status)] ?? responses['default'];
    // OpenAI's image operations declare only their 200 answers: an error answer is its API's ErrorResponse.
    if (!isObject(response)) return status >= 400 && this.definitions['ErrorResponse'] ? { $ref: '#/components/schemas/ErrorResponse' } : null;
    if (isObject(response['content'])) {
      const media = response['content'][contentType];
      return isObject(media) ? (media['schema'] ?? null) : null;
    }
    return response['schema'] ?? null;
  }

  /** A validator for a schema of this contract; `closed` refuses properties the contract does not name. */
  validator(schema: Json, options: { readonly closed: boolean }): Validator {
    if (schema === null) throw new Error('no schema to validate against');
    // A definition that some allOf names is a part, and stays open (see convert).
    const parts = new Set<string>();
    collectAllOfRefs(this.definitions, parts);
    const definitions = Object.fromEntries(
      Object.entries(this.definitions).map(([name, value]) => [name, convert(value, this.definitions, options.closed && !parts.has(name))]),
    );
    const root = convert(schema, this.definitions, options.closed);
    const validate = this.ajv.compile({ ...(isObject(root) ? root : { allOf: [root] }), definitions });
    return (value) => {
      if (validate(value)) return [];
      // ajv reports a refused property name twice (the enum inside propertyNames, then propertyNames): keep one.
      return (validate.errors ?? [])
        .filter((error) => error.propertyName === undefined)
        .map((error) => {
          const params = error.params as { allowedValues?: unknown; propertyName?: string };
          const unknownProperty = error.keyword === 'propertyNames' ? params.propertyName : undefined;
          return {
            at: error.dataPath,
            ...(unknownProperty !== undefined ? { unknownProperty } : {}),
            message: `${error.dataPath || '(body)'} ${unknownProperty !== undefined ? `has ${unknownProperty}, which the contract does not name` : (error.message ?? error.keyword)}${params.allowedValues ? ` ${JSON.stringify(params.allowedValues)}` : ''}`,
          };
        });
    };
  }
}

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
