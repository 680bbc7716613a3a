/**
 * The logging the shared modules need, satisfied by the Functions InvocationContext and by console.
 * Log job ids, codes and counts; never prompts, keys, tokens or SAS links (children's data and secrets).
 */
export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  log: (message) => console.log(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};
