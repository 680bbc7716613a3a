import type { JobRequestParser } from '../jobs/jobRequestParser';
import { components } from './components';
import { jobPaths } from './jobPaths';
import { privacyPaths } from './privacyPaths';
import type { Json } from './responses';
import { servicePaths } from './servicePaths';
import { sessionPaths } from './sessionPaths';
import { webhooks } from './webhooks';

/**
 * The OpenAPI 3.1 document of the API (GET /api/openapi.json), generated from the very zod schemas that
 * check requests (the configured model's request parser, the listing query) and shape answers (the job, the
 * listing, usage, health, errors, webhook events), with z.toJSONSchema. Only what JSON Schema cannot say is
 * written here: routes, headers, status codes and examples. The model's own rules (its sizes, qualities,
 * formats) are in the request schema's refinements, which JSON Schema cannot express; the descriptions say
 * them in words. A test validates the document and checks its paths against the routes the host serves.
 *
 * This file assembles it; the parts, by section: the paths by area (jobPaths.ts, sessionPaths.ts for the
 * studio, privacyPaths.ts for the children's data the school reads or erases, servicePaths.ts), webhooks.ts,
 * components.ts (schemas from zod, security schemes), with responses.ts and exampleJob.ts shared by them.
 */

export interface OpenApiOptions {
  /** The service's version, shown in info.version. */
  readonly version: string;
  /** Size rule and limits of the configured model, for the request's descriptions. */
  readonly modelSummary: string;
}

export function buildOpenApiDocument(parser: JobRequestParser, options: OpenApiOptions): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Edu4All Image Jobs',
      version: options.version,
      description:
        'Image-generation jobs for schools, as Azure long-running operations: POST a job (202 with Operation-Location and Retry-After), ' +
        'poll it or receive a signed webhook, then download the images through short-lived links. Every call but health, this document, ' +
        'a status URL, the studio page and the calls a studio session token may make (POST /sessions opens one) needs the school\'s api-key header. ' +
        'Other origins\' browsers may only read a status URL (CORS preflights are answered on every path).',
    },
    servers: [{ url: '/api' }],
    security: [{ apiKey: [] }],
    paths: { ...jobPaths(options.modelSummary), ...sessionPaths(), ...privacyPaths(), ...servicePaths() },
    webhooks: webhooks(),
    components: components(parser),
  };
}
