import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';

/**
 * Hostile query values against every listing route (GET /api/jobs, GET /api/safety-events, GET
 * /api/sessions/current/jobs). Table storage is queried with an OData filter, so a value that could leave
 * its quotes would change the query. Every value either filters safely (only the caller's rows, and only
 * rows whose field is exactly the value) or is a 400 naming the parameter; never a 5xx.
 */

const base64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

/** Values a filter must keep inside its quotes, or refuse. */
const hostileValues: readonly string[] = [
  "'",
  "''",
  "' or ''='",
  "4B' or '1' eq '1",
  "4B' or PartitionKey eq 'school-b",
  "x') or (PartitionKey ne 'x",
  "4B' and RowKey gt '",
  'eq',
  '4B eq 4B',
  ' or true',
  'ne',
  'not',
  'and',
  '()',
  "$filter=PartitionKey ne ''",
  "datetime'2020-01-01T00:00:00Z'",
  "guid'00000000-0000-0000-0000-000000000000'",
  'null',
  'true',
  '\\',
  "\\'",
  "4B\\' or ''='",
  '%27',
  '%',
  '*',
  '4B\u0000',
  '\u0000',
  '\n',
  '4B\r\nPartitionKey eq school-b',
  '\u202e4B',
  '😀',
  'é',
  'e\u0301',
  'ｘ',
  "x'y",
  '4B ',
  ' ',
  "'".repeat(128),
  'x'.repeat(129),
  'x'.repeat(3000),
  '',
];

/** Tokens that are not ours: other partitions, quotes, nonsense; a 400 or a safe page. */
const hostileTokens: readonly string[] = [
  base64({ nextPartitionKey: 'school-b', nextRowKey: '' }),
  base64({ nextPartitionKey: "school-a' or ''='", nextRowKey: "'" }),
  base64({ nextPartitionKey: 'school-a', nextRowKey: '\u0000' }),
  base64({ nextPartitionKey: 1, nextRowKey: null }),
  base64('[]'),
  base64('null'),
  base64('"'),
  '%%%',
  "' or ''='",
  'x'.repeat(4097),
];

interface Route {
  readonly path: string;
  /** The parameters the route documents, each tried with every hostile value. */
  readonly parameters: readonly string[];
  /** The items' field a parameter filters on exactly (absent: the parameter does not filter items by a field). */
  readonly field: (parameter: string) => string | undefined;
  readonly headers: () => Record<string, string>;
}

describe('listing routes under hostile query values', () => {
  let stack: Stack;
  let sessionToken = '';
  const ours = new Set<string>();
  const theirs = new Set<string>();

  before(async () => {
    stack = await startStack();
    const submit = async (body: JsonObject, key: string, into: Set<string>) => {
      const answer = await stack.submit(body, { 'api-key': key });
      if (answer.status === 202) into.add(String(answer.body.id));
      return answer;
    };
    for (const classId of ['4B', "x'y", '\\', '😀']) {
      assert.equal((await submit({ prompt: 'a bridge over a river', user: 'student-1', metadata: { classId, assignmentId: classId } }, tenantA.key, ours)).status, 202);
    }
    // Stored normalised (NFKC): xy-é.
    assert.equal((await submit({ prompt: 'a bridge over a river', metadata: { classId: 'ｘｙ-e\u0301' } }, tenantA.key, ours)).status, 202);
    assert.equal((await submit({ prompt: 'a bridge over a river', user: 'student-1', metadata: { classId: '4B', assignmentId: '4B' } }, tenantB.key, theirs)).status, 202);
    // A safety event in each school: the screen refuses the prompt.
    assert.equal((await submit({ prompt: 'a knight with a sword', user: 'student-1', metadata: { classId: '4B' } }, tenantA.key, ours)).status, 400);
    assert.equal((await submit({ prompt: 'a knight with a sword', user: 'student-1', metadata: { classId: '4B' } }, tenantB.key, theirs)).status, 400);
    const opened = await fetch(`${stack.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': tenantA.key },
      body: JSON.stringify({ user: 'student-1', metadata: { classId: '4B' } }),
    });
    assert.equal(opened.status, 201);
    sessionToken = new URLSearchParams(new URL(String(((await opened.json()) as JsonObject)['studioUrl'])).hash.slice(1)).get('session') ?? '';
    const fromSession = await fetch(`${stack.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ prompt: 'a kite' }),
    });
    assert.equal(fromSession.status, 202);
    ours.add(String(((await fromSession.json()) as JsonObject).id));
  });
  after(() => stack?.stop());

  const apiKey = () => ({ 'api-key': tenantA.key });
  const routes: readonly Route[] = [
    {
      path: '/api/jobs',
      parameters: ['user', 'classId', 'assignmentId', 'status', 'since', 'top', 'continuationToken'],
      field: (parameter) => (['user', 'classId', 'assignmentId', 'status'].includes(parameter) ? parameter : undefined),
      headers: apiKey,
    },
    {
      path: '/api/safety-events',
      parameters: ['user', 'classId', 'assignmentId', 'layer', 'since', 'top', 'continuationToken'],
      field: (parameter) => (['user', 'classId', 'assignmentId', 'layer'].includes(parameter) ? parameter : undefined),
      headers: apiKey,
    },
    // Takes top and continuationToken only: the session decides what is listed, whatever else is sent.
    { path: '/api/sessions/current/jobs', parameters: ['user', 'classId', 'sessionId', 'since', 'top', 'continuationToken', '$filter'], field: () => undefined, headers: () => ({ authorization: `Bearer ${sessionToken}` }) },
  ];

  async function get(route: Route, query: string): Promise<{ status: number; body: JsonObject }> {
    const response = await fetch(`${stack.url}${route.path}?${query}`, { headers: route.headers() });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as JsonObject };
  }

  /** 400 naming the parameter, or 200 with only the caller's rows, each exactly matching the value. */
  function checkAnswer(route: Route, parameter: string, value: string, answer: { status: number; body: JsonObject }): void {
    const what = `${route.path} ${parameter}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value)}`;
    assert.ok(answer.status === 200 || answer.status === 400, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.status === 400) {
      assert.equal(answer.body.error?.code, 'InvalidField', what);
      assert.equal(answer.body.error?.target, parameter, what);
      return;
    }
    const items = (answer.body['value'] as JsonObject[] | undefined) ?? [];
    for (const item of items) {
      const id = String(item.id);
      if (route.path !== '/api/safety-events') assert.ok(ours.has(id) && !theirs.has(id), `${what}: ${id} is not the caller's`);
      const field = route.field(parameter);
      // Metadata is compared as stored: NFKC-normalised.
      if (field !== undefined) assert.equal(item[field], value.normalize('NFKC'), `${what}: an item that does not match`);
    }
    if (route.path === '/api/safety-events') {
      // Events carry no tenant: the other school's event is the only one with this prompt in school B's listing.
      assert.ok(items.length <= 1, `${what}: ${items.length} events, school A has one`);
    }
  }

  for (const route of [routes[0], routes[1], routes[2]]) {
    if (!route) continue;
    it(`${route.path}: every parameter, every hostile value, filters safely or is refused naming it`, async () => {
      for (const parameter of route.parameters) {
        for (const value of parameter === 'continuationToken' ? [...hostileValues, ...hostileTokens] : hostileValues) {
          const query = new URLSearchParams({ [parameter]: value }).toString();
          checkAnswer(route, parameter, value, await get(route, query));
        }
      }
    });
  }

  it('finds a stored value with quotes, backslashes and emoji exactly, and only the caller\'s', async () => {
    const jobs = routes[0];
    assert.ok(jobs);
    // 4B: the LMS's job and the session's (its metadata); school B's is not listed.
    for (const [classId, count] of [["x'y", 1], ['\\', 1], ['😀', 1], ['4B', 2]] as const) {
      const answer = await get(jobs, new URLSearchParams({ classId }).toString());
      assert.equal(answer.status, 200);
      const items = answer.body['value'] as JsonObject[];
      assert.equal(items.length, count, `${classId}: ${JSON.stringify(items)}`);
      assert.equal(items[0]?.['classId'], classId);
    }
    const events = routes[1];
    assert.ok(events);
    const answer = await get(events, 'classId=4B');
    assert.equal((answer.body['value'] as JsonObject[]).length, 1, 'school A\'s one event, not school B\'s');
  });

  it('compares metadata as it was stored: any spelling NFKC makes the same finds the job, control characters are refused', async () => {
    const jobs = routes[0];
    assert.ok(jobs);
    for (const classId of ['ｘｙ-e\u0301', 'xy-é', 'xy-e\u0301']) {
      const answer = await get(jobs, new URLSearchParams({ classId }).toString());
      assert.deepEqual((answer.body['value'] as JsonObject[]).map((item) => item['classId']), ['xy-é'], JSON.stringify(classId));
    }
    for (const classId of ['4B\u0000', '\u202e4B', '\u0007']) {
      const answer = await get(jobs, new URLSearchParams({ classId }).toString());
      assert.deepEqual([answer.status, answer.body.error?.target], [400, 'classId'], JSON.stringify(classId));
    }
  });

  it('refuses parameter names that try to reach the query, naming them', async () => {
    for (const route of routes.slice(0, 2)) {
      for (const name of ['$filter', 'PartitionKey', 'RowKey', "classId' or ''='", 'classid', 'tenantId']) {
        const answer = await get(route, new URLSearchParams({ [name]: "x' or ''='" }).toString());
        assert.equal(answer.status, 400, `${route.path} ${name}`);
        assert.equal(answer.body.error?.target, name);
      }
    }
  });

  it('keeps the session gallery to the session whatever the query says', async () => {
    const gallery = routes[2];
    assert.ok(gallery);
    // The gallery's query is as strict as GET /api/jobs's: a parameter it does not know is a 400 naming it.
    const answer = await get(gallery, "user=student-2&sessionId=x' or ''='&$filter=PartitionKey ne ''");
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, 'InvalidField');
    assert.equal(answer.body.error?.target, 'user');
    const plain = await get(gallery, 'top=30');
    assert.equal(plain.status, 200);
    assert.equal((plain.body['value'] as JsonObject[]).length, 1, 'its one job');
  });
});
