import { startStack, tenantA } from '../local/harness/stack';

/** 500 submits at concurrency 50: the answers by status (the goal: only 202 and 429). */
async function main(): Promise<void> {
  const total = Number(process.env['BENCH_JOBS'] ?? 500);
  const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 50);
  const stack = await startStack({ env: { IMAGE_REQUESTS_PER_MINUTE: '100000' } });
  try {
    const statuses = new Map<number, number>();
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const response = await fetch(`${stack.url}/api/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'api-key': tenantA.key },
            body: JSON.stringify({ prompt: `A lantern number ${i}`, user: `student-${i % 30}` }),
          });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`${total} submits at concurrency ${concurrency} in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)}/s): ${[...statuses].map(([s, c]) => `${c} × ${s}`).join(', ')}`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
