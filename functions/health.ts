import { app, type HttpHandler } from '@azure/functions';
import { checkHealth, type HealthResponse } from '../shared/health/health';
import { getServices, type Services } from './lib/services';
import { json, respond } from './lib/http';

/** GET /api/health: 200 when storage answers, the image provider's credentials work and the model is not retired; else 503 with why. */
export function healthHandler(services: Services): HttpHandler {
  return respond(async (_request, context) => {
    const report = await checkHealth(services, context);
    const body: HealthResponse = {
      status: report.healthy ? 'Healthy' : 'Unhealthy',
      checks: report.checks,
      ...(report.warnings.length > 0 ? { warnings: [...report.warnings] } : {}),
      deployments: [...report.deployments],
    };
    return json(report.healthy ? 200 : 503, body);
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: healthHandler(getServices()) });
