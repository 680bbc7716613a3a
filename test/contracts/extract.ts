import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { avmModuleCalls, readInfraBicep } from './bicepModules';

/**
 * Makes the vendor contracts the contract tests read (test/contracts/contracts.ts): from a vendor's full
 * OpenAPI or Swagger file, the operations we call and every schema they reference, transitively, with the
 * source written beside them; from Azure/bicep-registry-modules, the parameter schema of each AVM module
 * version infra/ uses. The full files are large (OpenAI's openapi.yaml is about 3 MB), the extracts a few KB.
 *
 *   node dist/test/contracts/extract.js spec <name> <spec file> <source json> <out dir>
 *   node dist/test/contracts/extract.js avm <bicep-registry-modules git dir> <out dir>
 *
 * <name> is one of the recipes below; <source json> is `{"repository","path","commit","date"}` of the full
 * file. docs/contracts.md says where the output lives and how it was made.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Recipe {
  /** The operations we call: path and method in the full spec. */
  readonly operations: readonly { readonly path: string; readonly method: string }[];
  /** Schemas kept although no operation references them (`#/components/schemas/…`), and why. */
  readonly extraSchemas?: readonly { readonly ref: string; readonly why: string }[];
}

export const recipes: Readonly<Record<string, Recipe>> = {
  'azure-openai-inference': {
    operations: [
      { path: '/deployments/{deployment-id}/images/generations', method: 'post' },
      { path: '/deployments/{deployment-id}/images/edits', method: 'post' },
    ],
  },
  openai: {
    operations: [
      { path: '/images/generations', method: 'post' },
      { path: '/images/edits', method: 'post' },
    ],
    extraSchemas: [{ ref: '#/components/schemas/ErrorResponse', why: 'the image operations declare only their 200 answers; this is the error body of OpenAI\'s API' }],
  },
  'content-safety': {
    operations: [
      { path: '/text:analyze', method: 'post' },
      { path: '/text:shieldPrompt', method: 'post' },
      { path: '/image:analyze', method: 'post' },
    ],
  },
};

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every local `$ref` inside a value, as [section, name] (`#/components/schemas/X`, `#/definitions/X`, `#/parameters/X`). */
function refsIn(value: Json | undefined, found: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith('#/')) found.add(child);
      else refsIn(child, found);
    }
  }
}

function resolvePointer(document: JsonObject, ref: string): Json | undefined {
  let node: Json | undefined = document;
  for (const part of ref.slice(2).split('/')) node = isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return node;
}

/** The recipe's operations and the transitive closure of what they reference, in the spec's own layout. */
export function extractSpec(document: JsonObject, recipe: Recipe): JsonObject {
  const paths: JsonObject = {};
  const pending = new Set<string>();
  for (const { path: route, method } of recipe.operations) {
    const operation = isObject(document['paths']) && isObject(document['paths'][route]) ? document['paths'][route][method] : undefined;
    if (!isObject(operation)) throw new Error(`the spec has no ${method.toUpperCase()} ${route}`);
    paths[route] = { ...(isObject(paths[route]) ? paths[route] : {}), [method]: operation };
    refsIn(operation, pending);
  }
  for (const { ref } of recipe.extraSchemas ?? []) pending.add(ref);
  const taken = new Map<string, Json>();
  for (const ref of pending) {
    if (taken.has(ref)) continue;
    const target = resolvePointer(document, ref);
    if (target === undefined) throw new Error(`dangling reference ${ref}`);
    taken.set(ref, target);
    const more = new Set<string>();
    refsIn(target, more);
    for (const next of more) if (!taken.has(next)) pending.add(next);
  }
  // Rebuild only the sections the references point into, keeping the spec's own pointers valid.
  const out: JsonObject = {};
  for (const key of ['swagger', 'openapi', 'info']) if (document[key] !== undefined) out[key] = document[key] ?? null;
  out['paths'] = paths;
  for (const [ref, target] of [...taken.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const parts = ref.slice(2).split('/');
    let node: JsonObject = out;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      node = isObject(child) ? child : (node[part] = {});
    }
    node[parts[parts.length - 1] ?? ''] = target;
  }
  return out;
}

function readSpec(file: string): JsonObject {
  const text = readFileSync(file, 'utf8');
  const parsed = (file.endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 })) as Json;
  if (!isObject(parsed)) throw new Error(`${file} is not an OpenAPI document`);
  return parsed;
}

/** What a module's main.json says of one parameter: enough to check a call against (test/infra/avmModules.test.ts). */
export interface AvmParameter {
  readonly type: string;
  readonly required: boolean;
  readonly nullable: boolean;
  readonly allowedValues?: readonly Json[];
}

export interface AvmModuleContract {
  readonly module: string;
  readonly version: string;
  readonly source: { readonly repository: string; readonly path: string; readonly tag: string; readonly commit: string; readonly date: string };
  readonly parameters: Readonly<Record<string, AvmParameter>>;
}

/** A parameter's type, following a user-defined type (`$ref` into `definitions`) to the type it names. */
function avmTypeOf(template: JsonObject, parameter: JsonObject): { type: string; nullable: boolean; allowedValues?: Json[] } {
  let node: JsonObject = parameter;
  let nullable = parameter['nullable'] === true;
  for (let depth = 0; depth < 8 && typeof node['$ref'] === 'string'; depth++) {
    const target = resolvePointer(template, node['$ref']);
    if (!isObject(target)) break;
    nullable ||= target['nullable'] === true;
    node = target;
  }
  const type = typeof node['type'] === 'string' ? node['type'] : 'object';
  const allowed = node['allowedValues'] ?? parameter['allowedValues'];
  return { type, nullable, ...(Array.isArray(allowed) ? { allowedValues: allowed } : {}) };
}

export function summariseAvmTemplate(template: JsonObject): Record<string, AvmParameter> {
  const parameters = isObject(template['parameters']) ? template['parameters'] : {};
  const summary: Record<string, AvmParameter> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (!isObject(value)) continue;
    const { type, nullable, allowedValues } = avmTypeOf(template, value);
    // ARM: a parameter without defaultValue that is not nullable must be given.
    summary[name] = { type, nullable, required: value['defaultValue'] === undefined && !nullable, ...(allowedValues ? { allowedValues } : {}) };
  }
  return summary;
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function extractAvm(gitDir: string, outDir: string): void {
  const calls = avmModuleCalls(readInfraBicep());
  const seen = new Set<string>();
  for (const call of calls) {
    const key = `${call.module}@${call.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const tag = `${call.module}/${call.version}`;
    const commit = git(gitDir, 'rev-list', '-n', '1', tag).trim();
    const date = git(gitDir, 'log', '-1', '--format=%cs', commit).trim();
    const file = `${call.module}/main.json`;
    const template = JSON.parse(git(gitDir, 'show', `${commit}:${file}`)) as Json;
    if (!isObject(template)) throw new Error(`${file} at ${tag} is not a template`);
    const contract: AvmModuleContract = {
      module: call.module,
      version: call.version,
      source: { repository: 'Azure/bicep-registry-modules', path: file, tag, commit, date },
      parameters: summariseAvmTemplate(template),
    };
    const out = path.join(outDir, 'avm', `${call.module.replace(/\//g, '+')}@${call.version}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(contract, null, 2)}\n`);
    console.log(`${key}: ${Object.keys(contract.parameters).length} parameters (${commit.slice(0, 12)}, ${date}) -> ${out}`);
  }
}

function main(argv: readonly string[]): void {
  const [kind, ...rest] = argv;
  if (kind === 'spec') {
    const [name, specFile, sourceJson, outDir] = rest;
    const recipe = name ? recipes[name] : undefined;
    if (!recipe || !specFile || !sourceJson || !outDir) throw new Error(`usage: extract spec <${Object.keys(recipes).join('|')}> <spec file> <source json> <out dir>`);
    const source = JSON.parse(sourceJson) as Json;
    if (!isObject(source) || typeof source['commit'] !== 'string') throw new Error('<source json> needs repository, path, commit and date');
    const extracted = extractSpec(readSpec(specFile), recipe);
    const extract: JsonObject = { 'x-extracted-from': source, ...extracted };
    const out = path.join(outDir, `${name}.json`);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(out, `${JSON.stringify(extract, null, 2)}\n`);
    console.log(`${name}: ${recipe.operations.length} operations -> ${out}`);
  } else if (kind === 'avm') {
    const [gitDir, outDir] = rest;
    if (!gitDir || !outDir) throw new Error('usage: extract avm <bicep-registry-modules git dir> <out dir>');
    extractAvm(gitDir, outDir);
  } else {
    throw new Error('usage: extract spec … | extract avm …');
  }
}

if (require.main === module) main(process.argv.slice(2));
