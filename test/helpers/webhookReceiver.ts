import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { tenantsSetting, webhookSecretA, type JsonObject } from '../../local/harness/stack';

/**
 * A school's webhook receiver for tests: an http server on loopback that verifies every delivery's signature
 * with the standardwebhooks library (school A's secret), keeps what arrived in order, and answers as the
 * test says (a status, a redirect, or nothing at all).
 */

/** A verified delivery; `Data` is what the test expects of the event's data (job events by default). */
export interface Received<Data = JsonObject> {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly event: { type: string; data: Data };
}

export interface Receiver<Data = JsonObject> {
  readonly url: string;
  readonly received: Received<Data>[];
  /** Resolves with the n-th request (1-based) once it has arrived. */
  nth(n: number, timeoutInMs?: number): Promise<Received<Data>>;
  close(): Promise<void>;
}

/** `answer` gets the request's number (1-based), the response to write (or leave open), and what arrived. */
export async function startReceiver<Data = JsonObject>(answer: (n: number, res: http.ServerResponse, received: Received<Data>) => void): Promise<Receiver<Data>> {
  const verifier = new Webhook(webhookSecretA);
  const received: Received<Data>[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      // Throws on a bad signature or an old timestamp: the test then fails on a missing delivery.
      const delivery: Received<Data> = { headers, body, event: verifier.verify(body, headers) as Received<Data>['event'] };
      received.push(delivery);
      for (const wake of waiters.splice(0)) wake();
      answer(received.length, res, delivery);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    async nth(n, timeoutInMs = 20_000) {
      const deadline = Date.now() + timeoutInMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${received.length} of ${n} webhooks arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received[n - 1] as Received<Data>;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The test tenants (tenantsSetting), with the school that has a webhook sending it to `url`. */
export function tenantsWithWebhookAt(url: string): string {
  const tenants = JSON.parse(tenantsSetting()) as Array<{ webhook?: { secrets: string[] } }>;
  return JSON.stringify(tenants.map((tenant) => (tenant.webhook ? { ...tenant, webhook: { ...tenant.webhook, url } } : tenant)));
}
