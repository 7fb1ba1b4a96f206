import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';

/** The emulator itself, spoken to with plain fetch, as a third-party client would. */
describe('Statuspage emulator wire behaviour', () => {
  let sp: StatuspageEmulator;
  let base: string;
  const call = (method: string, path: string, body?: unknown, auth: string | null = `OAuth ${sp.apiKey}`) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(auth ? { Authorization: auth } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    sp = await startStatuspageEmulator({ components: [{ id: 'cmpaaaaaaaa1', name: 'API' }] });
    base = `${sp.url}/pages/${sp.pageId}`;
  });
  afterAll(() => sp.close());

  it('accepts the .json suffix and the api_key query parameter', async () => {
    const created = await call('POST', '/incidents.json', {
      incident: { name: 'A', status: 'investigating' },
    });
    expect(created.status).toBe(201);
    const inc = (await created.json()) as { id: string; incident_updates: unknown[] };
    expect(inc.incident_updates).toHaveLength(1);
    const read = await call('GET', `/incidents/${inc.id}.json?api_key=${sp.apiKey}`, undefined, null);
    expect(read.status).toBe(200);
    expect(sp.requests.at(-1)?.query.api_key).toBe(sp.apiKey);
  });

  it('answers 401 without the right key, 404 for another page, 422 for bad fields', async () => {
    expect((await call('GET', '/incidents', undefined, 'OAuth nope')).status).toBe(401);
    expect((await call('GET', '/incidents', undefined, null)).status).toBe(401);
    const other = await fetch(`${sp.url}/pages/otherpage123/incidents`, {
      headers: { Authorization: `OAuth ${sp.apiKey}` },
    });
    expect(other.status).toBe(404);
    const noName = await call('POST', '/incidents', { incident: { body: 'x' } });
    expect(noName.status).toBe(422);
    expect(await noName.json()).toEqual({ message: "Name can't be blank" });
    expect((await call('POST', '/incidents', { incident: { name: 'x', status: 'exploded' } })).status).toBe(
      422,
    );
    const comp = { name: 'x', components: { cmpaaaaaaaa1: 'on_fire' } };
    expect((await call('POST', '/incidents', { incident: comp })).status).toBe(422);
    const form = await fetch(`${base}/incidents`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${sp.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'incident[name]=x',
    });
    expect(form.status).toBe(400);
  });

  it('lists unresolved, scheduled and active maintenance; PATCHes components', async () => {
    const post = async (incident: Record<string, unknown>) =>
      ((await (await call('POST', '/incidents', { incident })).json()) as { id: string }).id;
    const maint = await post({ name: 'M', status: 'in_progress', impact_override: 'maintenance' });
    const sched = await post({ name: 'S', status: 'scheduled', scheduled_for: '2026-05-01T00:00:00Z' });
    const ids = async (path: string) =>
      ((await (await call('GET', path)).json()) as { id: string }[]).map((i) => i.id);
    expect(await ids('/incidents/active_maintenance')).toContain(maint);
    expect(await ids('/incidents/scheduled')).toEqual([sched]);
    expect(await ids('/incidents/unresolved')).not.toContain(sched);
    expect((await call('DELETE', `/incidents/${sched}`)).status).toBe(200);
    expect(await ids('/incidents/scheduled')).toEqual([]);
    const patched = await call('PATCH', '/components/cmpaaaaaaaa1', {
      component: { status: 'degraded_performance' },
    });
    expect(patched.status).toBe(200);
    expect(sp.components[0]?.status).toBe('degraded_performance');
    expect((await call('PATCH', '/components/cmpaaaaaaaa1', { component: { status: 'meh' } })).status).toBe(
      422,
    );
  });

  it('answers injected rate limits first, then recovers', async () => {
    sp.injectRateLimit(2, 420);
    expect((await call('GET', '/components')).status).toBe(420);
    expect((await call('GET', '/components', undefined, 'OAuth wrong')).status).toBe(420);
    expect((await call('GET', '/components')).status).toBe(200);
  });
});
