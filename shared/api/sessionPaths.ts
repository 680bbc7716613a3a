import { sessionJobsQuerySchema } from '../sessions/sessions';
import { errorResponse, jsonResponse, listQueryParameters, ref, retryAfterHeader, unauthorized, unavailable, type Json } from './responses';

/** The studio's routes: opening a session for a student, and what the studio page itself calls and loads. */

const sessionOnly = [{ sessionToken: [] }];
const sessionReadsLimited = errorResponse('This session reads too often; wait for Retry-After.', ['RateLimited'], { 'Retry-After': retryAfterHeader });
const sessionUnauthorized = errorResponse('No valid session token, or an expired one (open the studio again from the LMS).', ['SessionInvalid', 'SessionExpired'], {
  'WWW-Authenticate': { schema: { type: 'string' } },
});

export function sessionPaths(): Json {
  return {
    '/sessions': {
      post: {
        operationId: 'createSession',
        summary: 'Open a studio session for one student, and get the link for their browser',
        description:
          'The token in studioUrl\'s fragment (#session=…) may submit jobs for this student (their quota; user and metadata fixed by the session), ' +
          'read the jobs made in this session and list them, until expiresDateTime; every other route refuses it. It is signed and stateless: ' +
          'nothing about the student is stored for it, and it cannot be revoked before it expires (keep lifetimes short).',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('CreateSessionRequest'), example: { user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' }, locale: 'nl', lifetimeMinutes: 120 } } },
        },
        responses: {
          '201': jsonResponse('The session and its studio link.', 'Session', {
            id: '7c1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
            studioUrl: 'https://edu4all.example/api/studio#session=eyJ2Ijox…',
            expiresDateTime: '2026-11-25T10:00:00.000Z',
            user: 'student-42',
            metadata: { classId: '4B', assignmentId: 'monuments' },
            locale: 'nl',
          }),
          '400': errorResponse('The body is not valid; target names the field.', ['InvalidJson', 'InvalidRequest', 'MissingField', 'InvalidField', 'UnknownField', 'InvalidHost']),
          '401': unauthorized,
          '415': errorResponse('Not application/json in UTF-8.', ['UnsupportedMediaType']),
        },
      },
    },
    '/sessions/current': {
      get: {
        operationId: 'getCurrentSession',
        summary: 'For the studio page: its session\'s language, limits, what the studio offers (shapes, pictures a job), and whether the pictures are placeholders',
        security: sessionOnly,
        responses: {
          '200': jsonResponse('The session.', 'SessionInfo'),
          '401': sessionUnauthorized,
          '429': sessionReadsLimited,
        },
      },
    },
    '/sessions/current/jobs': {
      get: {
        operationId: 'listSessionJobs',
        summary: 'For the studio page: the jobs this session made, newest first (pages of at most 30), with fresh image links',
        description:
          'Each read costs the session\'s read budget (per instance) one, plus one per job on the page; a page that reads in a loop gets 429 RateLimited with Retry-After. Polling a job once a second never reaches it.',
        security: sessionOnly,
        parameters: listQueryParameters(sessionJobsQuerySchema),
        responses: {
          '200': {
            description: 'The gallery.',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { value: { type: 'array', items: ref('Job') }, nextLink: { type: 'string', description: 'The next page; absent on the last page.' } }, required: ['value'] },
              },
            },
          },
          '400': errorResponse('A query parameter is not valid; target names it.', ['InvalidField']),
          '401': sessionUnauthorized,
          '429': sessionReadsLimited,
          '503': unavailable,
        },
      },
    },
    '/studio': {
      get: {
        operationId: 'getStudio',
        summary: 'The studio page (HTML); open the studioUrl of a session',
        description: "Served with Content-Security-Policy (scripts and styles from this origin only, images also from the storage account), Referrer-Policy no-referrer and X-Content-Type-Options nosniff.",
        security: [],
        responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/studio/{file}': {
      get: {
        operationId: 'getStudioAsset',
        summary: 'The studio page\'s script and style',
        security: [],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: ['studio.html', 'studio.css', 'studio.js', 'i18n.js', 'render.js'] } }],
        responses: {
          '200': { description: 'The file (revalidate with its ETag).', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } },
          '304': { description: 'Not modified (If-None-Match).' },
          '404': errorResponse('No such file.', ['NotFound']),
        },
      },
    },
  };
}
