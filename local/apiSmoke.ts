/**
 * `npm run smoke [-- base-url]`: checks a running stack (`npm start`) the way an LMS developer calls it:
 * health, a submit answered 202 with Operation-Location and Retry-After, polling to Succeeded, two
 * landscape images readable through their links, bad input refused naming the field, and a studio session
 * (POST /api/sessions) whose link opens the page and whose token submits for its student.
 * Environment: API_KEY (default the local demo key, local-dev-key).
 */
const base = process.argv[2] ?? 'http://localhost:7071';
const key = process.env['API_KEY'] ?? 'local-dev-key';
const headers = { 'content-type': 'application/json', 'api-key': key };
const terminal = new Set(['Succeeded', 'Failed', 'Canceled']);

interface Job {
  id?: string;
  status?: string;
  error?: unknown;
  result?: { images?: Array<{ url: string; contentType: string }> };
}

function fail(message: string): never {
  console.error(`smoke: FAIL ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const health = await fetch(`${base}/api/health`).catch((error: unknown) => fail(`health: ${String(error)}`));
  if (health.status !== 200) fail(`GET /api/health answered ${health.status}`);

  const submitted = await fetch(`${base}/api/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ prompt: 'A dog next to the Eiffel Tower in the morning sunlight', n: 2, orientation: 'landscape' }),
  });
  const job = (await submitted.json()) as Job;
  if (submitted.status !== 202) fail(`POST /api/jobs answered ${submitted.status}: ${JSON.stringify(job)}`);
  const location = submitted.headers.get('operation-location') ?? fail('no Operation-Location header on 202');
  if (!submitted.headers.get('retry-after')) fail('no Retry-After header on 202');

  const started = Date.now();
  let status: Job;
  for (;;) {
    const response = await fetch(location, { headers });
    status = (await response.json()) as Job;
    if (response.status !== 200) fail(`GET ${location} answered ${response.status}`);
    if (terminal.has(status.status ?? '')) break;
    if (!response.headers.get('retry-after')) fail(`no Retry-After while ${status.status}`);
    if (Date.now() - started > 120_000) fail(`still ${status.status} after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (status.status !== 'Succeeded') fail(`job ended ${status.status}: ${JSON.stringify(status.error)}`);
  const images = status.result?.images ?? [];
  if (images.length !== 2) fail(`expected 2 images, got ${images.length}`);
  for (const image of images) {
    const response = await fetch(image.url);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) fail(`image link answered ${response.status}`);
    if (bytes.subarray(1, 4).toString('latin1') !== 'PNG') fail('image is not a PNG');
    if (bytes.readUInt32BE(16) <= bytes.readUInt32BE(20)) fail('a landscape image should be wider than high');
  }
  const bad = await fetch(`${base}/api/jobs`, { method: 'POST', headers, body: JSON.stringify({ prompt: 'a cat', temperature: 0 }) });
  const badBody = (await bad.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (bad.status !== 400 || !badBody.error?.code || !/temperature/i.test(badBody.error.message ?? '')) {
    fail(`temperature should get a 400 naming it, got ${bad.status} ${JSON.stringify(badBody)}`);
  }

  const opened = await fetch(`${base}/api/sessions`, { method: 'POST', headers, body: JSON.stringify({ user: 'smoke-student', lifetimeMinutes: 5 }) });
  const session = (await opened.json()) as { studioUrl?: string };
  if (opened.status !== 201 || !session.studioUrl) fail(`POST /api/sessions answered ${opened.status}: ${JSON.stringify(session)}`);
  const studio = new URL(session.studioUrl);
  const page = await fetch(`${studio.origin}${studio.pathname}`);
  if (page.status !== 200 || !page.headers.get('content-security-policy')) fail(`the studio page answered ${page.status} (CSP ${page.headers.get('content-security-policy') ?? 'missing'})`);
  const token = new URLSearchParams(studio.hash.slice(1)).get('session') ?? fail('no #session= in studioUrl');
  const studentJob = await fetch(`${base}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ prompt: 'A red kite above a green hill' }),
  });
  if (studentJob.status !== 202) fail(`a studio submit answered ${studentJob.status}`);
  console.log(`smoke: ok — job ${status.id ?? job.id} Succeeded in ${Date.now() - started} ms with 2 PNGs; bad input refused; studio session works`);
}

main().catch((error: unknown) => fail(String(error)));
