import type { RpcLogLevel } from './functionsCore';

/**
 * The local host's console log: one line per message with time and source; warnings and errors go to
 * stderr. Below information is dropped (the project's host.json logs from Information up).
 */

const levelRank: Record<RpcLogLevel, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6 };

export function writeLog(source: string, level: RpcLogLevel, message: string): void {
  if (levelRank[level] < levelRank.information) return;
  const line = `[${new Date().toISOString()}] ${source} ${level === 'information' ? 'info' : level}: ${message}`;
  if (levelRank[level] >= levelRank.warning) console.error(line);
  else console.log(line);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
