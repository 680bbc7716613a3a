import { tenantB, tenantsSetting, type JsonObject, type Stack } from '../../local/harness/stack';
import { startImageService, type FaultRule, type ImageService } from '../../local/imageService/imageService';
import { sleep } from '../measure';
import type { BenchRun } from '../report';
import { waitForAll, withStack } from '../stackJobs';

/**
 * (9) A class of thirty, against the quota: each deployment is a local image service that enforces its own
 * per-minute quota, with a 1 s model, as Azure's quota (not our code) sets the pace. Four figures, each beside
 * its floor: the class's first pictures and all its pictures, a second school behind a first one's forty, two
 * deployments against one, and one of two deployments failing mid-burst. Plus how honest the estimate shown at
 * submit was.
 */

const requestsPerMinute = 60;
const modelMs = 1000;

interface Deployments {
  readonly services: ImageService[];
  readonly setting: string;
}

async function startDeployments(count: number): Promise<Deployments> {
  const services = await Promise.all(Array.from({ length: count }, () => startImageService({ latencyMs: modelMs, requestsPerMinute })));
  const setting = JSON.stringify(services.map((service, index) => ({ name: `local-${index + 1}`, endpoint: service.url, deployment: 'gpt-image-2', requestsPerMinute })));
  return { services, setting };
}

/**
 * A stack whose deployments are `count` paced image services, with two hosts (as the quota section: the
 * quota, not how many jobs one instance runs at once, must set the pace; Azure adds instances by itself);
 * live previews off, so a job is one call.
 */
async function withDeployments<T>(count: number, body: (stack: Stack, deployments: Deployments) => Promise<T>): Promise<T> {
  const deployments = await startDeployments(count);
  try {
    return await withStack(
      { hosts: 2, env: { IMAGE_DEPLOYMENTS: deployments.setting, PARTIAL_IMAGES: '0', TENANTS: tenantsSetting(), IMAGE_REQUEST_TIMEOUT_SECONDS: '5', IMAGE_DEPLOYMENT_COOLDOWN_SECONDS: '10' } },
      (stack) => body(stack, deployments),
    );
  } finally {
    await Promise.all(deployments.services.map((service) => service.close()));
  }
}

interface Submitted {
  readonly id: string;
  readonly prompt: string;
  readonly at: number;
  readonly estimatedStart?: number;
}

/** The job a 202 answered, with the estimate it showed. */
function accepted(prompt: string, at: number, status: number, body: JsonObject): Submitted {
  if (status !== 202 || typeof body.id !== 'string') throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
  const queue = body.queue as { estimatedStartDateTime?: string } | undefined;
  return { id: body.id, prompt, at, ...(queue?.estimatedStartDateTime ? { estimatedStart: Date.parse(queue.estimatedStartDateTime) } : {}) };
}

/** Submits as the LMS (`headers` may name another school's key). */
async function submit(stack: Stack, prompt: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Submitted> {
  const at = Date.now();
  const { status, body } = await stack.submit({ prompt, ...extra }, headers);
  return accepted(prompt, at, status, body);
}

/** Submits as a student's studio page does: with the session's token, no school key. */
async function submitInStudio(stack: Stack, prompt: string, token: string): Promise<Submitted> {
  const at = Date.now();
  const response = await fetch(`${stack.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ prompt }) });
  return accepted(prompt, at, response.status, (await response.json()) as JsonObject);
}

/**
 * Opens the studio for a student, as the LMS does when they open the assignment (POST /api/sessions), and
 * returns the session's token, which their studio page submits with.
 */
async function openStudio(stack: Stack, user: string): Promise<string> {
  const { status, token } = await stack.openSession({ user });
  if (!token) throw new Error(`POST /api/sessions answered ${status}`);
  return token;
}

/** When each job's (first) accepted call started, from the image services' own logs. */
function callStarts(deployments: Deployments, jobs: readonly Submitted[]): Map<string, number> {
  const calls = deployments.services.flatMap((service) => service.calls()).filter((call) => call.status === 200);
  const starts = new Map<string, number>();
  for (const job of jobs) {
    const times = calls.filter((call) => call.prompt.includes(job.prompt)).map((call) => Date.parse(call.at));
    if (times.length > 0) starts.set(job.id, Math.min(...times));
  }
  return starts;
}

const endedAt = (job: JsonObject) => Date.parse(String(job.lastUpdatedDateTime));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Ten students open the studio (the LMS opens a session for each as they open the assignment), then each
 * presses Generate three times, one after another, in their studio.
 */
async function classBurst(run: BenchRun): Promise<void> {
  const students = run.quick ? 5 : 10;
  const presses = 3;
  await withDeployments(1, async (stack, deployments) => {
    const tag = `class-${Date.now()}`;
    const studios = [];
    for (let student = 0; student < students; student++) studios.push(await openStudio(stack, `student-${student}`));
    const jobs: (Submitted & { student: number; press: number })[] = [];
    for (const [student, studio] of studios.entries()) {
      for (let press = 0; press < presses; press++) {
        jobs.push({ ...(await submitInStudio(stack, `A dog beside the Eiffel Tower, ${tag} s${student} p${press} end`, studio)), student, press });
      }
    }
    const start = jobs[0]?.at ?? Date.now();
    const ended = await waitForAll(stack, jobs.map((job) => job.id), 10 * 60_000);
    const doneAt = new Map(ended.map((job) => [String(job.id), endedAt(job)]));
    const failed = ended.filter((job) => job.status !== 'Succeeded').length;
    const firstPictures = Math.max(...jobs.filter((job) => job.press === 0).map((job) => (doneAt.get(job.id) ?? Number.NaN) - start));
    const all = Math.max(...jobs.map((job) => (doneAt.get(job.id) ?? Number.NaN) - start));
    const spacing = 60_000 / requestsPerMinute;
    const firstFloor = students * spacing;
    const allFloor = students * presses * spacing;
    run.report({
      section: 'classroom',
      measure: `${students} students × ${presses} jobs, ${requestsPerMinute} calls/minute, ${modelMs / 1000} s model: the last student's first picture`,
      value: `${seconds(firstPictures)}; ${failed} failed`,
      baseline: `floor ${seconds(firstFloor)}`,
      ratio: firstPictures / firstFloor,
      goal: '≤ 1.3× the floor (first come first served: about 2.8×)',
      met: failed === 0 && firstPictures <= 1.3 * firstFloor,
    });
    run.report({
      section: 'classroom',
      measure: `${students} students × ${presses} jobs: all pictures`,
      value: seconds(all),
      baseline: `floor ${seconds(allFloor)}`,
      ratio: all / allFloor,
      goal: '≤ 1.2× the floor',
      met: all <= 1.2 * allFloor,
    });
    // The estimate a student saw at submit against when the call started; a second (one call's spacing) is the resolution.
    const starts = callStarts(deployments, jobs);
    const misses: string[] = [];
    const honest = jobs.filter((job) => {
      const started = starts.get(job.id);
      const real = started === undefined ? Number.NaN : started - job.at;
      const estimated = job.estimatedStart === undefined ? Number.NaN : job.estimatedStart - job.at;
      const within = Math.abs(estimated - real) <= Math.max(0.25 * real, spacing);
      if (!within) misses.push(`student ${job.student + 1}'s press ${job.press + 1}: shown ${seconds(estimated)}, waited ${seconds(real)}`);
      return within;
    }).length;
    run.report({
      section: 'classroom',
      measure: `the estimate shown at submit, within ±25 % (or one call's spacing) of the real wait`,
      value: `${honest} of ${jobs.length} jobs (${((honest / jobs.length) * 100).toFixed(0)} %)${misses.length > 0 ? `; missed: ${misses.join('; ')}` : ''}`,
      goal: '≥ 90 %',
      met: honest >= 0.9 * jobs.length,
    });
  });
}

/** School A queues forty jobs, then school B submits one: how long B waits for its call. */
async function schoolBehindSchool(run: BenchRun): Promise<void> {
  const ahead = run.quick ? 15 : 40;
  await withDeployments(1, async (stack, deployments) => {
    const tag = `schools-${Date.now()}`;
    const first: Submitted[] = [];
    for (let i = 0; i < ahead; i++) first.push(await submit(stack, `A lighthouse at dusk, ${tag} a${i} end`, { user: `student-${i % 30}` }));
    const late = await submit(stack, `A paper boat, ${tag} b end`, { user: 'student-b' }, { 'api-key': tenantB.key });
    // School B's job, read with school B's key (another school's key gets 404).
    await waitForAll(stack, [late.id], 10 * 60_000, { 'api-key': tenantB.key });
    const started = callStarts(deployments, [late]).get(late.id);
    const wait = (started ?? Number.NaN) - late.at;
    run.report({
      section: 'classroom',
      measure: `school A queues ${ahead} jobs, then school B one: B's wait for its call`,
      value: seconds(wait),
      goal: '≤ 6 s (first come first served: about 40 s)',
      met: wait <= 6_000,
    });
    await waitForAll(stack, first.map((job) => job.id), 10 * 60_000);
  });
}

/** The same burst through `count` deployments: jobs a minute, from the first call to the last. */
async function burstThroughput(count: number, jobs: number): Promise<number> {
  return withDeployments(count, async (stack, deployments) => {
    const tag = `pool${count}-${Date.now()}`;
    const submitted: Submitted[] = [];
    for (let i = 0; i < jobs; i++) submitted.push(await submit(stack, `A kite over the dunes, ${tag} ${i} end`, { user: `student-${i % 30}` }));
    await waitForAll(stack, submitted.map((job) => job.id), 10 * 60_000);
    const starts = [...callStarts(deployments, submitted).values()];
    return ((starts.length - 1) * 60_000) / (Math.max(...starts) - Math.min(...starts));
  });
}

async function poolAgainstOne(run: BenchRun): Promise<void> {
  const jobs = run.quick ? 20 : 60;
  const one = await burstThroughput(1, jobs);
  const two = await burstThroughput(2, jobs);
  run.report({
    section: 'classroom',
    measure: `a burst of ${jobs} jobs through 2 deployments (${requestsPerMinute} calls/minute each) against 1`,
    value: `${two.toFixed(1)} jobs/minute`,
    baseline: `${one.toFixed(1)} jobs/minute`,
    ratio: two / one,
    goal: '≥ 1.9×',
    met: two / one >= 1.9,
  });
}

/** Two deployments; from the middle of the burst one answers 500s, then hangs. */
async function failover(run: BenchRun): Promise<void> {
  const jobs = run.quick ? 20 : 60;
  await withDeployments(2, async (stack, deployments) => {
    const tag = `failover-${Date.now()}`;
    const submitted: Submitted[] = [];
    for (let i = 0; i < jobs; i++) submitted.push(await submit(stack, `A red bicycle, ${tag} ${i} end`, { user: `student-${i % 30}` }));
    const start = submitted[0]?.at ?? Date.now();
    // The middle of the burst: half the jobs have had their calls.
    const failing = deployments.services[1];
    while (callStarts(deployments, submitted).size < jobs / 2) await sleep(100);
    const failedAt = Date.now();
    const rules: FaultRule[] = [{ fault: { kind: 'serverError', status: 500 }, times: 3 }, { fault: { kind: 'hang' } }];
    for (const rule of rules) failing?.addRule(rule);
    const ended = await waitForAll(stack, submitted.map((job) => job.id), 10 * 60_000);
    const failed = ended.filter((job) => job.status !== 'Succeeded').length;
    const total = Math.max(...ended.map(endedAt)) - start;
    // The floor: what was left when it failed, at one deployment's pace.
    const left = jobs - [...callStarts(deployments, submitted).values()].filter((at) => at <= failedAt).length;
    const floor = failedAt - start + left * (60_000 / requestsPerMinute) + modelMs;
    run.report({
      section: 'classroom',
      measure: `${jobs} jobs on 2 deployments, one answering 500 then hanging from the middle of the burst`,
      value: `${failed} failed jobs; ${seconds(total)} in all, ${seconds(Math.max(0, total - floor))} lost`,
      baseline: `floor ${seconds(floor)} (one deployment from the failure on)`,
      ratio: total / floor,
      goal: '0 failed',
      met: failed === 0,
    });
  });
}

export async function classroomSection(run: BenchRun): Promise<void> {
  console.log('(9) classroom: turns, a pool of deployments, an honest wait');
  await classBurst(run);
  await schoolBehindSchool(run);
  await poolAgainstOne(run);
  await failover(run);
}
