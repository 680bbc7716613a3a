import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Text resources (metaprompts, the disallow list) live as files beside the code so that they are
 * reviewed as text, not buried in strings. Compiled code runs from dist/shared, sources from shared/:
 * both find the folder relative to this file's directory.
 */
const resourcesDir = path.resolve(__dirname, '..', '..', 'shared', 'resources');

function resourcePath(fileName: string): string {
  return path.join(resourcesDir, fileName);
}

export function readResource(fileName: string): string {
  return readFileSync(resourcePath(fileName), 'utf8');
}
