import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AttemptOutcome } from './deliveryPolicy';
import { checkWebhookTarget, type TargetGuardOptions } from '../addresses/targetGuard';

/**
 * Sends one webhook request, carefully: the target is checked and pinned to the address checked
 * (targetGuard.ts); redirects are never followed (a 3xx is a failed attempt, so a public URL cannot bounce
 * us to a private one); connecting and the whole answer are bounded by short timeouts; and at most a few KiB
 * of the answer are read, since only its status matters.
 */

export interface SendOptions extends TargetGuardOptions {
  /** Connecting, sending and reading the answer, all together. */
  readonly timeoutInMs: number;
  /** Connecting alone (TCP and TLS); at most timeoutInMs. */
  readonly connectTimeoutInMs?: number;
}

export interface SendResult {
  readonly outcome: AttemptOutcome;
  readonly durationMs: number;
}

/** Only the status matters; a receiver's body is read (then dropped) up to this, so a huge answer costs nothing. */
export const maxResponseBytes = 4 * 1024;
const defaultConnectTimeoutInMs = 3_000;

export async function sendWebhook(targetUrl: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const startedAt = Date.now();
  const verdict = await checkWebhookTarget(targetUrl, options);
  if (!verdict.ok) {
    const outcome: AttemptOutcome = verdict.transient ? { kind: 'unreachable', reason: verdict.reason } : { kind: 'refused', reason: verdict.reason };
    return { outcome, durationMs: Date.now() - startedAt };
  }
  const { url, address, family } = verdict.target;
  // Connect to the address checked, whatever a second lookup of the name would say (DNS rebinding).
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const outcome = await new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const settle = (value: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(connecting);
      request.destroy();
      resolve(value);
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Edu4All-Image-Jobs-Webhooks/1', ...headers },
        // A fresh connection per attempt: no pooled socket to a host that has since changed its address.
        agent: false,
      },
      (response) => {
        const statusCode = response.statusCode ?? 0;
        let read = 0;
        const done = () => settle(statusCode >= 200 && statusCode < 300 ? { kind: 'delivered', statusCode } : { kind: 'rejected', statusCode });
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= maxResponseBytes) done();
        });
        response.on('end', done);
        response.on('error', done);
      },
    );
    const overall = setTimeout(() => settle({ kind: 'unreachable', reason: `no answer within ${options.timeoutInMs} ms` }), options.timeoutInMs);
    const connecting = setTimeout(
      () => settle({ kind: 'unreachable', reason: 'could not connect in time' }),
      Math.min(options.connectTimeoutInMs ?? defaultConnectTimeoutInMs, options.timeoutInMs),
    );
    request.on('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
    });
    request.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'unreachable', reason: error.code ?? 'connection error' }));
    request.end(body);
  });
  return { outcome, durationMs: Date.now() - startedAt };
}
