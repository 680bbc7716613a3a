import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { projectDir } from '../../local/harness/stack';

/**
 * Reads the registry-module calls out of our Bicep text: no Bicep compiler installs here (docs/contracts.md),
 * so this is a small parser, good enough for the files in infra/ (and a test fails when it is not: every
 * `br/public:` line must come out as a call). It understands `module x 'br/public:avm/…:1.2.3' = {` (also
 * `= if (…) {` and a loop, `= [ for … in …: {`), strings with `${…}`, `//` and block comments, and nested `{}`/`[]`; a `params:` entry's value
 * is classified as a literal (string, int, bool, array, object, null) or, for a bare name, as the type of
 * the `param` or literal `var` of that name in the same file. Anything else is an expression of unknown type.
 */

export type BicepValueType = 'string' | 'int' | 'bool' | 'array' | 'object' | 'null' | 'unknown';

export interface BicepValue {
  readonly type: BicepValueType;
  /** The literal, for a plain string without interpolation (checked against allowed values). */
  readonly literal?: string | number | boolean;
  readonly text: string;
}

export interface ModuleCall {
  readonly file: string;
  readonly line: number;
  readonly symbol: string;
  /** `avm/res/web/site` */
  readonly module: string;
  readonly version: string;
  readonly params: Readonly<Record<string, BicepValue>>;
}

export interface BicepFile {
  readonly file: string;
  readonly text: string;
}

export function readInfraBicep(): BicepFile[] {
  const infra = path.join(projectDir, 'infra');
  const files = ['main.bicep', ...readdirSync(path.join(infra, 'app')).map((name) => `app/${name}`)].filter((name) => name.endsWith('.bicep'));
  return files.map((name) => ({ file: `infra/${name}`, text: readFileSync(path.join(infra, name), 'utf8') }));
}

/** The index just past the bracket that closes the one at `open` (strings and comments skipped). */
function closingIndex(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === "'") {
      i = stringEnd(text, i) - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (pairs[c]) {
      stack.push(pairs[c]);
    } else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`unclosed ${text[open]} at offset ${open}`);
}

/** The index just past a Bicep string starting at `start` (a `'`), with `${…}` holes and `\'` escapes. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '$' && text[i + 1] === '{') i = closingIndex(text, i + 1) - 1;
    else if (c === "'") return i + 1;
  }
  throw new Error(`unclosed string at offset ${start}`);
}

/** The top-level `name: value` entries of an object literal's body (between its braces). */
export function objectEntries(body: string): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [];
  let i = 0;
  while (i < body.length) {
    const rest = body.slice(i);
    const skip = /^(\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|,)/.exec(rest);
    if (skip) {
      i += skip[0].length;
      continue;
    }
    const key = /^('(?:[^'\\]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*)\s*:\s*/.exec(rest);
    if (!key) throw new Error(`cannot read an object entry at: ${rest.slice(0, 60)}`);
    const name = (key[1] ?? '').replace(/^'|'$/g, '');
    let j = i + key[0].length;
    const start = j;
    // A value ends at the end of its line, outside brackets and strings.
    while (j < body.length && body[j] !== '\n') {
      const c = body[j] ?? '';
      if (c === "'") j = stringEnd(body, j);
      else if (c === '{' || c === '[' || c === '(') j = closingIndex(body, j);
      else if (c === '/' && body[j + 1] === '/') break;
      else j++;
    }
    entries.push({ name, value: body.slice(start, j).trim() });
    i = j;
  }
  return entries;
}

function declaredType(fileText: string, name: string): BicepValue | undefined {
  const param = new RegExp(`^param ${name} (string|int|bool|array|object)\\b`, 'm').exec(fileText);
  if (param) return { type: param[1] as BicepValueType, text: name };
  const variable = new RegExp(`^var ${name} = (.+)$`, 'm').exec(fileText);
  if (variable) {
    const value = classify(fileText, variable[1]?.trim() ?? '');
    return value.type === 'unknown' ? undefined : { ...value, text: name };
  }
  return undefined;
}

export function classify(fileText: string, text: string): BicepValue {
  if (/^'(?:[^'\\$]|\\.|\$(?!\{))*'$/.test(text)) return { type: 'string', literal: text.slice(1, -1), text };
  if (text.startsWith("'") && stringEnd(text, 0) === text.length) return { type: 'string', text };
  if (/^-?\d+$/.test(text)) return { type: 'int', literal: Number(text), text };
  if (text === 'true' || text === 'false') return { type: 'bool', literal: text === 'true', text };
  if (text === 'null') return { type: 'null', text };
  if (text.startsWith('[') && closingIndex(text, 0) === text.length) return { type: 'array', text };
  if (text.startsWith('{') && closingIndex(text, 0) === text.length) return { type: 'object', text };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) return declaredType(fileText, text) ?? { type: 'unknown', text };
  // Functions whose result type is plain: union(...) of objects, string(...).
  if (/^union\(\s*\{/.test(text)) return { type: 'object', text };
  return { type: 'unknown', text };
}

const moduleLine = /^module\s+(\w+)\s+'br\/public:(avm\/[a-z0-9/-]+):(\d+\.\d+\.\d+)'\s*=\s*(?:if\s*\(|\{|\[\s*for\b[^:{]*:)/gm;

export function avmModuleCalls(files: readonly BicepFile[]): ModuleCall[] {
  const calls: ModuleCall[] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(moduleLine)) {
      const start = match.index;
      let open = text.indexOf('{', start + match[0].length - 1);
      if (match[0].endsWith('(')) open = text.indexOf('{', closingIndex(text, start + match[0].length - 1));
      const blockEnd = closingIndex(text, open);
      const body = text.slice(open + 1, blockEnd - 1);
      const paramsEntry = objectEntries(body).find((entry) => entry.name === 'params');
      const params: Record<string, BicepValue> = {};
      if (paramsEntry) {
        for (const { name, value } of objectEntries(paramsEntry.value.slice(1, -1))) params[name] = classify(text, value);
      }
      calls.push({
        file,
        line: text.slice(0, start).split('\n').length,
        symbol: match[1] ?? '',
        module: match[2] ?? '',
        version: match[3] ?? '',
        params,
      });
    }
  }
  return calls;
}

/** `Microsoft.Insights/components@2020-02-02`-style references to resource types, with where they are. */
export function resourceTypeReferences(files: readonly BicepFile[]): { file: string; type: string; apiVersion: string }[] {
  const found: { file: string; type: string; apiVersion: string }[] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(/^resource\s+\w+\s+'([A-Za-z]+\.[A-Za-z]+\/[A-Za-z/]+)@(\d{4}-\d{2}-\d{2}(?:-preview)?)'/gm)) {
      found.push({ file, type: match[1] ?? '', apiVersion: match[2] ?? '' });
    }
  }
  return found;
}
