import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the local stand-ins (imageService/, contentSafety/) share: fault rules a test adds in process or over
 * HTTP, a log of the calls, the control routes (`/_control/rules`, `/_control/calls`), answers held open by a
 * `hang` fault, and listening on a loopback port. Each stand-in brings only its own API.
 */

export interface StandIn<Rule, Call> {
  readonly url: string;
  readonly port: number;
  addRule(rule: Rule): void;
  clearRules(): void;
  calls(): readonly Call[];
  close(): Promise<void>;
}

/** What a stand-in's own routes use of the shared state. */
export interface StandInState<Rule, Call> {
  /** The first rule with uses left that applies to this request; the use is counted. */
  takeRule(applies: (rule: Rule) => boolean): Rule | undefined;
  record(call: Call): void;
  /** Keeps an answer open (a `hang` fault) until the client gives up or the stand-in closes. */
  hold(res: http.ServerResponse): void;
}

export interface StandInOptions<Rule> {
  readonly port?: number;
  readonly host?: string;
  readonly rules?: readonly Rule[];
}

/** Rules tests send as JSON are small; anything bigger is not a rule. */
const maxControlBodyBytes = 64 * 1024;

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A request's body, read until `maxBytes`; a longer one throws (and is not read further). */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error(`body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readControlRule(req: http.IncomingMessage): Promise<unknown> {
  return JSON.parse((await readBody(req, maxControlBodyBytes)).toString('utf8'));
}

/**
 * Starts a stand-in: `handle` answers every request outside `/_control/`; a request it fails on gets a 500
 * with the error, so a bug in a stand-in shows in the test that hit it.
 */
export async function startStandIn<Rule extends { readonly times?: number }, Call>(
  options: StandInOptions<Rule>,
  handle: (state: StandInState<Rule, Call>, req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>,
): Promise<StandIn<Rule, Call>> {
  const rules = (options.rules ?? []).map((rule) => ({ rule, remaining: rule.times ?? Infinity }));
  const recorded: Call[] = [];
  const hanging = new Set<http.ServerResponse>();
  const addRule = (rule: Rule) => rules.push({ rule, remaining: rule.times ?? Infinity });
  const state: StandInState<Rule, Call> = {
    takeRule(applies) {
      const active = rules.find((entry) => entry.remaining > 0 && applies(entry.rule));
      if (!active) return undefined;
      active.remaining--;
      return active.rule;
    },
    record: (call) => recorded.push(call),
    hold(res) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
    },
  };

  async function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (path === '/_control/rules' && req.method === 'POST') {
      addRule((await readControlRule(req)) as Rule);
      return sendJson(res, 201, { rules: rules.length });
    }
    if (path === '/_control/rules' && req.method === 'DELETE') {
      rules.length = 0;
      return sendJson(res, 200, { rules: 0 });
    }
    if (path === '/_control/calls' && req.method === 'GET') return sendJson(res, 200, { calls: recorded });
    if (path === '/_control/calls' && req.method === 'DELETE') {
      recorded.length = 0;
      return sendJson(res, 200, { calls: 0 });
    }
    return sendJson(res, 404, { error: { code: 'NotFound', message: 'Unknown control route' } });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const work = url.pathname.startsWith('/_control/') ? control(req, res, url.pathname) : handle(state, req, res, url);
    work.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: String(error) } });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    addRule,
    clearRules: () => {
      rules.length = 0;
    },
    calls: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
