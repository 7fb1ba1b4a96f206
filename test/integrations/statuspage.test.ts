import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/base/clock.js';
import { DrawbridgeError } from '../../src/base/errors.js';
import { StatusPageClient } from '../../src/integrations/statuspage.js';
import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';
import { runWithClock, waitFor } from './clock-driver.js';

const T0 = Date.parse('2026-01-02T09:15:00.000Z');

describe('StatusPageClient against the Statuspage emulator', () => {
  let sp: StatuspageEmulator;
  let clock: ManualClock;
  let client: StatusPageClient;

  beforeAll(async () => {
    sp = await startStatuspageEmulator({
      components: [
        { id: 'cmp1api00001', name: 'API' },
        { id: 'cmp2web00002', name: 'Web' },
      ],
    });
  });
  afterAll(() => sp.close());
  beforeEach(() => {
    clock = new ManualClock(T0);
    sp.requests.length = 0;
    const config = { pageId: sp.pageId, componentIds: ['cmp1api00001'], apiKey: sp.apiKey, apiUrl: sp.url };
    client = new StatusPageClient(config, { clock });
  });

  it('starts a maintenance: in progress, impact maintenance, components under maintenance', async () => {
    const ref = await client.startMaintenance({ name: 'Deploy migrations to production', body: 'Starting.' });
    expect(ref.id).toMatch(/^[a-z0-9]{12}$/);
    expect(ref.shortlink).toMatch(/^http:\/\/stspg\.io\//);
    expect(ref.status).toBe('in_progress');
    const req = sp.requests.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1/pages/${sp.pageId}/incidents`);
    expect(req?.headers.authorization).toBe(`OAuth ${sp.apiKey}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({
      incident: {
        name: 'Deploy migrations to production',
        body: 'Starting.',
        status: 'in_progress',
        impact_override: 'maintenance',
        component_ids: ['cmp1api00001'],
        components: { cmp1api00001: 'under_maintenance' },
        deliver_notifications: true,
      },
    });
    const inc = sp.incidents.find((i) => i.id === ref.id);
    expect(inc?.impact).toBe('maintenance');
    expect(sp.components.map((c) => c.status)).toEqual(['under_maintenance', 'operational']);
  });

  it('updates, then resolves a maintenance: completed and components operational', async () => {
    const ref = await client.startMaintenance({ name: 'Deploy', body: 'Starting.' });
    const updated = await client.updateIncident(ref.id, { status: 'verifying', body: 'Migrations applied.' });
    expect(updated.status).toBe('verifying');
    const done = await client.resolveMaintenance(ref.id, 'All done.');
    expect(done).toMatchObject({ id: ref.id, status: 'completed' });
    const inc = sp.incidents.find((i) => i.id === ref.id);
    expect(inc?.incident_updates.map((u) => [u.status, u.body])).toEqual([
      ['completed', 'All done.'],
      ['verifying', 'Migrations applied.'],
      ['in_progress', 'Starting.'],
    ]);
    expect(inc?.resolved_at).not.toBeNull();
    expect(sp.components.find((c) => c.id === 'cmp1api00001')?.status).toBe('operational');
    expect(sp.requests.at(-1)?.method).toBe('PATCH');
    expect((await client.getIncident(ref.id)).status).toBe('completed');
  });

  it('schedules a maintenance window with automatic transitions', async () => {
    const ref = await client.scheduleMaintenance({
      name: 'Window',
      body: 'Planned work.',
      scheduledFor: Date.parse('2026-01-10T02:00:00Z'),
      scheduledUntil: new Date('2026-01-10T03:00:00Z'),
      componentIds: ['cmp2web00002'],
    });
    expect(ref.status).toBe('scheduled');
    const inc = sp.incidents.find((i) => i.id === ref.id);
    expect(inc).toMatchObject({
      scheduled_for: '2026-01-10T02:00:00.000Z',
      scheduled_until: '2026-01-10T03:00:00.000Z',
      scheduled_auto_in_progress: true,
      scheduled_auto_completed: true,
      auto_transition_to_maintenance_state: true,
      auto_transition_to_operational_state: true,
    });
    expect(inc?.components.map((c) => c.id)).toEqual(['cmp2web00002']);
    expect(sp.components.find((c) => c.id === 'cmp2web00002')?.status).toBe('operational');
  });

  it('opens a failure incident: identified, with the impact and outage on components', async () => {
    const ref = await client.openIncident({
      name: 'Migration failed',
      body: 'Rolling back.',
      impact: 'major',
    });
    expect(ref.status).toBe('identified');
    const inc = sp.incidents.find((i) => i.id === ref.id);
    expect(inc?.impact_override).toBe('major');
    expect(sp.components.find((c) => c.id === 'cmp1api00001')?.status).toBe('major_outage');
    await client.updateIncident(ref.id, {
      status: 'resolved',
      body: 'Fixed.',
      components: { cmp1api00001: 'operational' },
    });
    expect(sp.components.find((c) => c.id === 'cmp1api00001')?.status).toBe('operational');
  });

  it('retries a rate limit (429 and 420) after at least one second on the clock', async () => {
    sp.injectRateLimit(1, 420);
    const first = client.startMaintenance({ name: 'Deploy', body: 'x' });
    await waitFor(() => clock.pendingSleepers === 1, 'the backoff sleep');
    expect(sp.requests).toHaveLength(1);
    await clock.advance(999);
    expect(clock.pendingSleepers).toBe(1);
    await clock.advance(1);
    await expect(first).resolves.toMatchObject({ status: 'in_progress' });
    expect(sp.requests.map((r) => r.status)).toEqual([420, 201]);

    sp.requests.length = 0;
    sp.injectRateLimit(2);
    const { outcome } = await runWithClock(
      clock,
      client.startMaintenance({ name: 'Deploy', body: 'y' }),
      1000,
    );
    expect(outcome.ok).toBe(true);
    expect(sp.requests.map((r) => r.status)).toEqual([429, 429, 201]);
  });

  it('gives up after a bounded number of rate-limited attempts with STATUSPAGE_429', async () => {
    sp.injectRateLimit(10);
    const { outcome } = await runWithClock(
      clock,
      client.startMaintenance({ name: 'Deploy', body: 'x' }),
      1000,
    );
    sp.injectRateLimit(0);
    expect(outcome.ok).toBe(false);
    const err = (outcome as { error: DrawbridgeError }).error;
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect(err.code).toBe('STATUSPAGE_429');
    expect(err.message).toContain('Rate limit exceeded');
    expect(sp.requests).toHaveLength(4);
  });

  it('stops waiting when the signal aborts during a backoff', async () => {
    sp.injectRateLimit(5);
    const controller = new AbortController();
    const p = client.startMaintenance({ name: 'Deploy', body: 'x' }, controller.signal);
    await waitFor(() => clock.pendingSleepers === 1, 'the backoff sleep');
    controller.abort(new Error('cancelled by user'));
    await expect(p).rejects.toThrow('cancelled by user');
    sp.injectRateLimit(0);
  });

  it('fails with STATUSPAGE_401 on a wrong key, and the key never shows', async () => {
    const badKey = 'wrong-key-0123456789abcdef';
    const bad = new StatusPageClient(
      { pageId: sp.pageId, componentIds: [], apiKey: badKey, apiUrl: sp.url },
      { clock },
    );
    const err = await bad.startMaintenance({ name: 'x', body: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect((err as DrawbridgeError).code).toBe('STATUSPAGE_401');
    expect((err as DrawbridgeError).message).toContain('Could not authenticate');
    expect(JSON.stringify([(err as Error).message, (err as DrawbridgeError).hint])).not.toContain(badKey);
  });

  it('fails with STATUSPAGE_422 on a missing name, and 404 on an unknown incident', async () => {
    await expect(client.startMaintenance({ name: '', body: 'y' })).rejects.toMatchObject({
      code: 'STATUSPAGE_422',
      message: expect.stringContaining("Name can't be blank"),
    });
    await expect(client.getIncident('nosuchincid0')).rejects.toMatchObject({ code: 'STATUSPAGE_404' });
  });

  it('reports an unreachable API as STATUSPAGE_NETWORK', async () => {
    const closed = await startStatuspageEmulator();
    await closed.close();
    const c = new StatusPageClient(
      { pageId: 'p', componentIds: [], apiKey: 'k-123456789', apiUrl: closed.url },
      { clock },
    );
    await expect(c.startMaintenance({ name: 'x', body: 'y' })).rejects.toMatchObject({
      code: 'STATUSPAGE_NETWORK',
    });
  });
});

describe('StatusPageClient error bodies', () => {
  let server: Server;
  let url: string;
  const replies: { status: number; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const reply = replies.shift() ?? { status: 500, body: '' };
      res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const failWith = async (status: number, body: string, apiKey = 'sk_live_abcdef0123456789') => {
    replies.push({ status, body });
    const c = new StatusPageClient(
      { pageId: 'p', componentIds: [], apiKey, apiUrl: url },
      { clock: new ManualClock(0) },
    );
    return (await c.getIncident('abc').catch((e: unknown) => e)) as DrawbridgeError;
  };

  it('reads message, then error, then errors, then the status text', async () => {
    expect((await failWith(400, '{"message":"Bad thing","error":"other"}')).message).toMatch(
      /400 Bad thing$/,
    );
    expect((await failWith(403, '{"error":"Forbidden page"}')).message).toMatch(/403 Forbidden page$/);
    expect((await failWith(422, '{"errors":["a","b"]}')).message).toMatch(/422 a; b$/);
    expect((await failWith(422, '{"errors":{"name":["is too long"]}}')).message).toMatch(
      /422 name is too long$/,
    );
    const plain = await failWith(502, '<html>gateway</html>');
    expect(plain.code).toBe('STATUSPAGE_502');
    expect(plain.message).toMatch(/502 Bad Gateway$/);
  });

  it('never lets the key through, even when the server echoes it', async () => {
    const key = 'k3y'; // too short for the global redactor: the client must still cut it out
    const err = await failWith(500, JSON.stringify({ message: `key k3y is wrong, OAuth k3y` }), key);
    expect(err.message).not.toContain(key);
    const longKey = 'sp_0123456789abcdefXYZ';
    const err2 = await failWith(500, JSON.stringify({ message: `bad key ${longKey}` }), longKey);
    expect(err2.message).not.toContain(longKey);
  });
});
