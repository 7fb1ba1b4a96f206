import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import {
  applyRunEvent,
  expireOverdueRuns,
  planHash,
  type ApprovalPolicy,
  type Plan,
} from '../../../src/core/runs/index.js';
import { RunStore } from '../../../src/store/run-store.js';
import { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'production',
  target: { identity: 'db:5432/app' },
  migrations: [],
  createdAt: T0,
};
const policy = (minutes: number): ApprovalPolicy => ({
  required: 1,
  approvers: [],
  allowSelfApproval: false,
  expiresAfterMinutes: minutes,
});

describe('expireOverdueRuns', () => {
  const clock = new ManualClock(T0);
  const store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-expire-')), clock);
  const runs = new RunStore(store);
  afterAll(() => store.close());

  it('expires only waiting runs whose window has closed', async () => {
    const mk = (environment: string, events: ('request_approval' | 'approve')[]): string => {
      const id = runs.createRun({ environment, requestedBy: 'U0REQ', plan, planHash: planHash(plan) }).id;
      for (const e of events) applyRunEvent(runs, id, e, { actor: 'U0X' });
      return id;
    };
    const prod = mk('production', ['request_approval']);
    const staging = mk('staging', ['request_approval']);
    const approved = mk('production', ['request_approval', 'approve']);
    const planned = mk('production', []);
    const gone = mk('removed-env', ['request_approval']);
    const policies: Record<string, ApprovalPolicy> = { production: policy(30), staging: policy(120) };

    await clock.advance(30 * 60_000 - 1);
    expect(expireOverdueRuns(runs, (env) => policies[env]).map((r) => r.id)).toEqual([gone]);
    await clock.advance(1);
    const expired = expireOverdueRuns(runs, (env) => policies[env]);
    expect(expired.map((r) => [r.id, r.state, r.outcome])).toEqual([
      [prod, 'expired', 'expired: approval was not complete within 30 minutes'],
    ]);
    expect([staging, approved, planned].map((id) => runs.getRun(id)?.state)).toEqual([
      'awaiting_approval',
      'approved',
      'planned',
    ]);
    expect(store.auditLog({ runId: prod }).at(-1)).toMatchObject({ actor: 'system', action: 'run:expired' });
    expect(expireOverdueRuns(runs, (env) => policies[env])).toEqual([]);
  });
});
