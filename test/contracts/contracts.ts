import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { projectDir } from '../../local/harness/stack';
import { collectAllOfRefs, convert, isObject, type Json, type JsonObject } from './schemaConversion';

/**
 * The vendors' published contracts, as test/contracts/extract.ts extracts them, turned into validators
 * (their schemas converted by schemaConversion.ts); the exchanges they check come through recordingProxy.ts
 * (docs/contracts.md).
 *
 * Where the extracts live: they are copies of vendor files, which this repository does not commit (they come
 * from public repositories through a tool whose copies stay out of project commits). They are looked for in
 * CONTRACTS_DIR, then in the shared folder beside the repository (`../shared/contracts`), then in the
 * git-ignored `.contracts/` that extract.ts writes by default; a contract test with none skips and says so.
 */

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

export function readJsonFile(file: string): JsonObject {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Json;
  if (!isObject(value)) throw new Error(`${file} is not a JSON object`);
  return value;
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
