/**
 * The vendors' schemas (OpenAPI 3.x, Swagger 2.0) as JSON Schema draft-07, the dialect ajv 6 checks, so a
 * contract (contracts.ts) can validate what crosses the wire against them.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
export function convert(node: Json, definitions: JsonObject, closed: boolean): Json {
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

export function collectAllOfRefs(node: Json | undefined, found: Set<string>): void {
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
