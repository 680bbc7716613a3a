import assert from 'node:assert/strict';
import { startStack, tenantA, tenantsSetting, type JsonObject, type Stack } from '../../local/harness/stack';

/**
 * Studio sessions on a real stack, for test/integration/sessions.test.ts and sessionLimits.test.ts: each
 * student may make 4 pictures a day. `openSession` checks the studio link it gets and keeps every token it
 * opened, so a test can look for them in the hosts' logs.
 */
export interface SessionStack {
  readonly stack: Stack;
  /** The tokens of every session opened so far. */
  readonly openedTokens: string[];
  readonly api: (method: string, path: string, options?: { key?: string; token?: string; body?: unknown }) => Promise<{ status: number; headers: Headers; body: JsonObject }>;
  readonly openSession: (body: Record<string, unknown>, key?: string) => Promise<{ token: string; body: JsonObject }>;
  readonly stop: () => Promise<void>;
}

export async function startSessionStack(): Promise<SessionStack> {
  const stack = await startStack({ env: { TENANTS: tenantsSetting({ imagesPerUserPerDay: 4 }) } });
  const openedTokens: string[] = [];

  const api: SessionStack['api'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.key) headers['api-key'] = options.key;
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as JsonObject };
  };

  return {
    stack,
    openedTokens,
    api,
    openSession: async (body, key = tenantA.key) => {
      const created = await api('POST', '/api/sessions', { key, body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const studioUrl = new URL(String(created.body['studioUrl']));
      assert.equal(studioUrl.pathname, '/api/studio');
      assert.equal(studioUrl.search, '', 'nothing in the query string, which servers log');
      const token = new URLSearchParams(studioUrl.hash.slice(1)).get('session') ?? '';
      assert.ok(token.length > 40);
      openedTokens.push(token);
      return { token, body: created.body };
    },
    stop: () => stack.stop(),
  };
}
