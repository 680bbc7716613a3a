import { app, type InvocationContext } from '@azure/functions';
import { checkHealth } from '../shared/health';
import { getServices } from '../shared/services';
import { json, respond } from './lib/http';

const services = getServices();

/** GET /api/health: 200 when storage answers and the image provider's credentials work, else 503 with why. */
app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (_request: unknown, context: InvocationContext) =>
    respond(context, async () => {
      const report = await checkHealth(services, context);
      return json(report.healthy ? 200 : 503, {
        status: report.healthy ? 'Healthy' : 'Unhealthy',
        checks: report.checks,
        ...(report.warnings.length > 0 ? { warnings: report.warnings } : {}),
      });
    }),
});
