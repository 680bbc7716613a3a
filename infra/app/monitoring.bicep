// What an operator watches (docs/operations.md): an action group that e-mails, six log alerts over the
// service's OpenTelemetry metrics (shared/telemetry/metrics.ts, in the workspace's AppMetrics table), and a
// workbook with the same figures per school and model. Metric names here are checked against the code by
// test/infra/infraConsistency.test.ts.
param location string
param tags object
param appInsightsName string
param logAnalyticsWorkspaceId string
@description('Who hears of an alert. Empty: the alerts fire into the portal only.')
param alertEmail string
@description('Share of finished jobs that fail, over 15 minutes, above which an alert fires (0-1).')
param failureRateThreshold string = '0.2'
@description('Share of a school\'s monthly budget at which the spend alert fires.')
param spendWarningShare string = '0.8'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-edu4all-ops'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'edu4all'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Each alert: a KQL query over AppMetrics that returns rows only when something is wrong.
var alerts = [
  {
    name: 'poison-messages-present'
    severity: 1
    description: 'A message is on image-jobs-poison or webhook-deliveries-poison: its handler could not end it (docs/operations.md, "A poison message loop").'
    query: 'AppMetrics | where Name == "edu4all.queue.depth" | extend queue = tostring(Properties.queue) | where queue endswith "-poison" | summarize depth = max(Max) by queue | where depth > 0'
  }
  {
    name: 'job-failure-rate'
    severity: 2
    description: 'More than the threshold share of finished jobs failed in 15 minutes.'
    query: 'AppMetrics | where Name == "edu4all.jobs.finished" | extend status = tostring(Properties.status) | summarize total = sum(Sum), failed = sumif(Sum, status == "Failed") | where total >= 5 and failed / total > ${failureRateThreshold}'
  }
  {
    name: 'oldest-queued-job'
    severity: 2
    description: 'The oldest message on image-jobs is older than 5 minutes: workers are not keeping up or not running.'
    query: 'AppMetrics | where Name == "edu4all.queue.oldest_age" | where tostring(Properties.queue) == "image-jobs" | summarize oldest = max(Max) | where oldest > 300'
  }
  {
    name: 'provider-5xx-or-auth'
    severity: 1
    description: 'The image provider answered 5xx, or refused our credentials (401/403): a retired or broken deployment, or a lost role.'
    query: 'AppMetrics | where Name == "edu4all.provider.calls" | extend answer = tostring(Properties.answer) | where answer in ("5xx", "auth") | summarize calls = sum(Sum) by answer, deployment = tostring(Properties.deployment) | where calls >= 3 or answer == "auth"'
  }
  {
    name: 'content-safety-unavailable'
    severity: 1
    description: 'Content Safety gave no verdict: submits are refused with 503 (fail closed) and finished pictures wait.'
    query: 'AppMetrics | where Name == "edu4all.content_safety.calls" | extend outcome = tostring(Properties.outcome) | summarize unavailable = sumif(Sum, outcome == "unavailable"), total = sum(Sum) | where unavailable >= 3'
  }
  {
    name: 'school-spend-near-budget'
    severity: 3
    description: 'Accepted jobs have reserved more than the warning share of a school\'s monthly budget (TENANTS quotas.usdPerMonth; the sweep records the share).'
    query: 'AppMetrics | where Name == "edu4all.school.month_budget_share" | summarize share = max(Max) by school = tostring(Properties.school) | where share >= ${spendWarningShare}'
  }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for alert in alerts: {
    name: 'edu4all-${alert.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'Edu4All: ${alert.name}'
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [logAnalyticsWorkspaceId]
      evaluationFrequency: 'PT5M'
      // The sweep records every 5 minutes what these read (the spend gauge is the month so far).
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

// The workbook: the same figures per school and model, for a person looking at a week.
var workbookQueries = [
  {
    title: 'Jobs finished by school, model and status'
    query: 'AppMetrics | where Name == "edu4all.jobs.finished" | summarize jobs = sum(Sum) by school = tostring(Properties.school), model = tostring(Properties.model), status = tostring(Properties.status), errorCode = tostring(Properties.errorCode) | order by jobs desc'
  }
  {
    title: 'Failure rate per hour'
    query: 'AppMetrics | where Name == "edu4all.jobs.finished" | summarize failed = sumif(Sum, tostring(Properties.status) == "Failed"), total = sum(Sum) by bin(TimeGenerated, 1h) | extend rate = failed / total | render timechart'
  }
  {
    title: 'Pictures and estimated cost by school and model'
    query: 'AppMetrics | where Name in ("edu4all.images", "edu4all.cost.usd") | summarize value = sum(Sum) by school = tostring(Properties.school), model = tostring(Properties.model), Name | evaluate pivot(Name, sum(value))'
  }
  {
    title: 'Spend this month against budget'
    query: 'AppMetrics | where Name in ("edu4all.school.month_spend_usd", "edu4all.school.month_budget_share") | summarize arg_max(TimeGenerated, Max) by Name, school = tostring(Properties.school) | evaluate pivot(Name, max(Max), school)'
  }
  {
    title: 'Queue wait and job duration (p50, p95)'
    query: 'AppMetrics | where Name in ("edu4all.job.queue_wait", "edu4all.job.duration") | summarize avg = sum(Sum) / sum(ItemCount), max = max(Max) by Name, model = tostring(Properties.model), bin(TimeGenerated, 1h)'
  }
  {
    title: 'Provider answers (429s apart) and latency'
    query: 'AppMetrics | where Name in ("edu4all.provider.calls", "edu4all.provider.call.duration") | summarize calls = sumif(Sum, Name == "edu4all.provider.calls"), avgMs = sumif(Sum, Name == "edu4all.provider.call.duration") / sumif(ItemCount, Name == "edu4all.provider.call.duration") by answer = tostring(Properties.answer), model = tostring(Properties.model), deployment = tostring(Properties.deployment)'
  }
  {
    title: 'Refusals by school and layer'
    query: 'AppMetrics | where Name == "edu4all.refusals" | summarize refusals = sum(Sum) by school = tostring(Properties.school), layer = tostring(Properties.layer)'
  }
  {
    title: 'Pacer wait, webhooks, Content Safety'
    query: 'AppMetrics | where Name in ("edu4all.pacer.wait", "edu4all.webhook.deliveries", "edu4all.content_safety.calls") | summarize value = sum(Sum), count = sum(ItemCount) by Name, outcome = tostring(Properties.outcome), type = tostring(Properties.type)'
  }
  {
    title: 'Queue depth and oldest message'
    query: 'AppMetrics | where Name in ("edu4all.queue.depth", "edu4all.queue.oldest_age") | summarize value = max(Max) by Name, queue = tostring(Properties.queue), bin(TimeGenerated, 5m) | render timechart'
  }
]

resource workbook 'Microsoft.Insights/workbooks@2022-04-01' = {
  name: guid(resourceGroup().id, 'edu4all-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Edu4All Image Jobs: operations'
    category: 'workbook'
    sourceId: logAnalyticsWorkspaceId
    serializedData: string({
      version: 'Notebook/1.0'
      items: [
        for (item, i) in workbookQueries: {
          type: 3
          name: 'query-${i}'
          content: {
            version: 'KqlItem/1.0'
            title: item.title
            query: item.query
            size: 0
            timeContext: { durationMs: 604800000 }
            queryType: 0
            resourceType: 'microsoft.operationalinsights/workspaces'
          }
        }
      ]
    })
  }
}

output actionGroupId string = actionGroup.id
output workbookId string = workbook.id
output applicationInsightsId string = applicationInsights.id
