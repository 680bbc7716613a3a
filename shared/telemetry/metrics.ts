import { metrics, type Attributes, type Counter, type Gauge, type Histogram, type MeterProvider } from '@opentelemetry/api';

/**
 * The service's meters, exported to Application Insights (customMetrics) where telemetry is on; the alerts
 * and the workbook in infra/app/monitoring.bicep query these names. Dimensions are ids and codes only: the
 * school, the model, an outcome or error code; never a student or a prompt.
 *
 * Instruments are made on first use from the global MeterProvider, and again if it changes (the API's
 * meters are not proxies: one made before the SDK is set up would stay a no-op). With telemetry off every
 * record is a no-op call.
 */

export const metricNames = {
  jobsSubmitted: 'edu4all.jobs.submitted',
  jobsFinished: 'edu4all.jobs.finished',
  queueWait: 'edu4all.job.queue_wait',
  jobDuration: 'edu4all.job.duration',
  providerCallDuration: 'edu4all.provider.call.duration',
  providerCalls: 'edu4all.provider.calls',
  refusals: 'edu4all.refusals',
  pacerWait: 'edu4all.pacer.wait',
  images: 'edu4all.images',
  costUsd: 'edu4all.cost.usd',
  webhookDeliveries: 'edu4all.webhook.deliveries',
  queueDepth: 'edu4all.queue.depth',
  queueOldestAge: 'edu4all.queue.oldest_age',
  contentSafetyCalls: 'edu4all.content_safety.calls',
  schoolMonthSpend: 'edu4all.school.month_spend_usd',
  schoolMonthBudgetShare: 'edu4all.school.month_budget_share',
} as const;

interface Instruments {
  readonly provider: MeterProvider;
  readonly jobsSubmitted: Counter;
  readonly jobsFinished: Counter;
  readonly queueWait: Histogram;
  readonly jobDuration: Histogram;
  readonly providerCallDuration: Histogram;
  readonly providerCalls: Counter;
  readonly refusals: Counter;
  readonly pacerWait: Histogram;
  readonly images: Counter;
  readonly costUsd: Counter;
  readonly webhookDeliveries: Counter;
  readonly queueDepth: Gauge;
  readonly queueOldestAge: Gauge;
  readonly contentSafetyCalls: Counter;
  readonly schoolMonthSpend: Gauge;
  readonly schoolMonthBudgetShare: Gauge;
}

let instruments: Instruments | undefined;

function current(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter('edu4all-image-jobs');
  instruments = {
    provider,
    jobsSubmitted: meter.createCounter(metricNames.jobsSubmitted, { description: 'Submits answered, by school, model, outcome (accepted or refused) and error code.' }),
    jobsFinished: meter.createCounter(metricNames.jobsFinished, { description: 'Jobs that ended, by school, model, status and error code.' }),
    queueWait: meter.createHistogram(metricNames.queueWait, { unit: 'ms', description: 'From the job stored (and its message sent) to a worker starting it.' }),
    jobDuration: meter.createHistogram(metricNames.jobDuration, { unit: 'ms', description: 'From the job stored to its end.' }),
    providerCallDuration: meter.createHistogram(metricNames.providerCallDuration, { unit: 'ms', description: 'One image call to the provider, by answer.' }),
    providerCalls: meter.createCounter(metricNames.providerCalls, { description: 'Image calls by answer: ok, 429, 5xx, 4xx, auth, filtered, timeout, network.' }),
    refusals: meter.createCounter(metricNames.refusals, { description: 'Refused prompts and pictures, by school and layer.' }),
    pacerWait: meter.createHistogram(metricNames.pacerWait, { unit: 'ms', description: "A call's wait for its slot in the deployment's shared budget." }),
    images: meter.createCounter(metricNames.images, { description: 'Pictures delivered, by school and model.' }),
    costUsd: meter.createCounter(metricNames.costUsd, { unit: 'USD', description: 'Estimated cost of delivered pictures (catalogue prices), by school and model.' }),
    webhookDeliveries: meter.createCounter(metricNames.webhookDeliveries, { description: 'Webhook attempts by outcome: delivered, retry, failed (gave up), poisoned.' }),
    queueDepth: meter.createGauge(metricNames.queueDepth, { description: 'Messages on a queue (approximate), recorded by the sweep.' }),
    queueOldestAge: meter.createGauge(metricNames.queueOldestAge, { unit: 's', description: 'Age of the oldest visible message on a queue, recorded by the sweep.' }),
    contentSafetyCalls: meter.createCounter(metricNames.contentSafetyCalls, { description: 'Content Safety calls by kind (text, image) and outcome (ok, refused, unavailable).' }),
    schoolMonthSpend: meter.createGauge(metricNames.schoolMonthSpend, { unit: 'USD', description: "A school's estimated spend this month (succeeded jobs), recorded by the sweep." }),
    schoolMonthBudgetShare: meter.createGauge(metricNames.schoolMonthBudgetShare, { description: "Share of a school's monthly budget (usdPerMonth) reserved by accepted jobs, recorded by the sweep." }),
  };
  return instruments;
}

/** Only defined values: a dimension left out is better than the string "undefined". */
function dims(values: Record<string, string | number | undefined>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) attributes[key] = value;
  return attributes;
}

/** Records a measurement; telemetry must never fail the work it watches. */
function safely(record: () => void): void {
  try {
    record();
  } catch {
    // An SDK fault (a bad attribute, a closed provider) is not the job's problem.
  }
}

export const jobMetrics = {
  submitted(facts: { school: string; model: string; outcome: 'accepted' | 'refused' | 'failed'; errorCode?: string }): void {
    safely(() => current().jobsSubmitted.add(1, dims({ school: facts.school, model: facts.model, outcome: facts.outcome, errorCode: facts.errorCode })));
  },
  finished(facts: { school: string; model: string; status: string; errorCode?: string; durationMs: number; images: number; costUsd?: number }): void {
    safely(() => {
      const instruments = current();
      const byJob = dims({ school: facts.school, model: facts.model, status: facts.status, errorCode: facts.errorCode });
      instruments.jobsFinished.add(1, byJob);
      instruments.jobDuration.record(Math.max(0, facts.durationMs), byJob);
      if (facts.images > 0) instruments.images.add(facts.images, dims({ school: facts.school, model: facts.model }));
      if (facts.costUsd) instruments.costUsd.add(facts.costUsd, dims({ school: facts.school, model: facts.model }));
    });
  },
  queueWait(facts: { model: string; ms: number }): void {
    safely(() => current().queueWait.record(Math.max(0, facts.ms), dims({ model: facts.model })));
  },
  providerCall(facts: { model: string; deployment: string; answer: string; errorCode?: string; ms: number }): void {
    safely(() => {
      const instruments = current();
      const attributes = dims({ model: facts.model, deployment: facts.deployment, answer: facts.answer, errorCode: facts.errorCode });
      instruments.providerCalls.add(1, attributes);
      instruments.providerCallDuration.record(Math.max(0, facts.ms), attributes);
    });
  },
  refusal(facts: { school: string; layer: string }): void {
    safely(() => current().refusals.add(1, dims({ school: facts.school, layer: facts.layer })));
  },
  pacerWait(facts: { deployment: string; ms: number }): void {
    safely(() => current().pacerWait.record(Math.max(0, facts.ms), dims({ deployment: facts.deployment })));
  },
  webhookDelivery(facts: { type: string; outcome: 'delivered' | 'retry' | 'failed' | 'poisoned' }): void {
    safely(() => current().webhookDeliveries.add(1, dims({ type: facts.type, outcome: facts.outcome })));
  },
  queue(facts: { queue: string; depth: number; oldestAgeInSeconds: number }): void {
    safely(() => {
      const instruments = current();
      instruments.queueDepth.record(facts.depth, { queue: facts.queue });
      instruments.queueOldestAge.record(Math.max(0, facts.oldestAgeInSeconds), { queue: facts.queue });
    });
  },
  /** Month to date, once a sweep: an alert over a month of counters would need a month-long query window. */
  schoolMonth(facts: { school: string; spentUsd: number; budgetShare?: number }): void {
    safely(() => {
      const instruments = current();
      instruments.schoolMonthSpend.record(facts.spentUsd, { school: facts.school });
      if (facts.budgetShare !== undefined) instruments.schoolMonthBudgetShare.record(facts.budgetShare, { school: facts.school });
    });
  },
  contentSafetyCall(facts: { kind: 'text' | 'image'; outcome: 'ok' | 'refused' | 'unavailable' }): void {
    safely(() => current().contentSafetyCalls.add(1, { kind: facts.kind, outcome: facts.outcome }));
  },
};
