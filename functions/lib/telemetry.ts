import { telemetrySettingsFrom } from '../../shared/config/config';
import { startTelemetry } from '../../shared/telemetry/setup';

/**
 * The first entry point (package.json `main` names it before functions/*.js, as Learn's "Use OpenTelemetry
 * with Azure Functions" does with its index file): telemetry must start before any function file requires
 * @azure/functions, which the Functions instrumentation patches as it loads. This file therefore imports
 * nothing that imports @azure/functions; the flush at shutdown is registered once the library is loaded.
 */
const telemetry = startTelemetry(telemetrySettingsFrom(process.env));

if (telemetry.mode !== 'off') {
  void import('@azure/functions').then(({ app }) => {
    // Flex Consumption stops idle instances: what the exporters still hold is sent first.
    app.hook.appTerminate(() => telemetry.shutdown());
  });
}
