import { canonicalPlan, comparePlans, planHash, type Plan } from '../../../src/core/runs/plan.js';

const sum = (c: string): string => c.repeat(64);

const base: Plan = {
  environment: 'production',
  target: { identity: 'db.internal:5432/app', systemIdentifier: '7312345678901234567' },
  migrations: [
    { name: '20240101000000_init', checksum: sum('a') },
    { name: '20240102000000_add_orders', checksum: sum('b') },
  ],
  createdAt: Date.UTC(2026, 0, 1),
};

describe('planHash', () => {
  it('is a sha256 hex digest that ignores createdAt', () => {
    const h = planHash(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(planHash({ ...base, createdAt: base.createdAt + 60_000 })).toBe(h);
  });

  it('is stable across key order and checksum case', () => {
    const shuffled: Plan = {
      createdAt: 1,
      migrations: base.migrations.map((m) => ({ checksum: m.checksum.toUpperCase(), name: m.name })),
      target: { systemIdentifier: base.target.systemIdentifier as string, identity: base.target.identity },
      environment: 'production',
    };
    expect(planHash(shuffled)).toBe(planHash(base));
    expect(canonicalPlan(base)).toBe(canonicalPlan(shuffled));
  });

  it.each<[string, Plan]>([
    ['environment', { ...base, environment: 'staging' }],
    ['target identity', { ...base, target: { ...base.target, identity: 'db2.internal:5432/app' } }],
    ['system identifier', { ...base, target: { identity: base.target.identity, systemIdentifier: '1' } }],
    ['unknown system identifier', { ...base, target: { identity: base.target.identity } }],
    [
      'added migration',
      { ...base, migrations: [...base.migrations, { name: '20240103000000_x', checksum: sum('c') }] },
    ],
    ['removed migration', { ...base, migrations: base.migrations.slice(0, 1) }],
    [
      'edited checksum',
      {
        ...base,
        migrations: [base.migrations[0]!, { name: '20240102000000_add_orders', checksum: sum('d') }],
      },
    ],
    ['order', { ...base, migrations: [...base.migrations].reverse() }],
  ])('changes with the %s', (_label, other) => {
    expect(planHash(other)).not.toBe(planHash(base));
  });

  it('does not let a name and checksum run together into another plan', () => {
    const a: Plan = { ...base, migrations: [{ name: 'a', checksum: 'bc' }] };
    const b: Plan = { ...base, migrations: [{ name: 'ab', checksum: 'c' }] };
    expect(planHash(a)).not.toBe(planHash(b));
  });
});

describe('comparePlans', () => {
  it('finds nothing between equal plans', () => {
    expect(comparePlans(base, { ...base, createdAt: 99 })).toEqual([]);
  });

  it('says why, one sentence per difference', () => {
    const after: Plan = {
      environment: 'production',
      target: { identity: 'db2.internal:5432/app', systemIdentifier: base.target.systemIdentifier as string },
      migrations: [
        { name: '20240102000000_add_orders', checksum: sum('e') },
        { name: '20240103000000_add_index', checksum: sum('c') },
      ],
      createdAt: 2,
    };
    expect(comparePlans(base, after).map((d) => [d.kind, d.message])).toEqual([
      ['target', 'The target database changed from db.internal:5432/app to db2.internal:5432/app.'],
      [
        'edited',
        'Migration 20240102000000_add_orders was edited since the plan was shown (checksum bbbbbbbbbbbb is now eeeeeeeeeeee).',
      ],
      ['added', 'Migration 20240103000000_add_index is new since the plan was shown.'],
      [
        'removed',
        'Migration 20240101000000_init is no longer pending: it was applied elsewhere or removed from the folder.',
      ],
    ]);
  });

  it('explains environment, failover and reordering', () => {
    expect(comparePlans(base, { ...base, environment: 'staging' })[0]?.message).toBe(
      'The environment changed from production to staging.',
    );
    expect(
      comparePlans(base, { ...base, target: { ...base.target, systemIdentifier: '42' } })[0]?.message,
    ).toBe(
      'db.internal:5432/app is now a different database server (system 42, was 7312345678901234567), for example after a failover or restore.',
    );
    expect(
      comparePlans(base, { ...base, migrations: [...base.migrations].reverse() }).map((d) => d.kind),
    ).toEqual(['reordered']);
  });

  it('gives a reason whenever the hashes differ', () => {
    const variants: Plan[] = [
      { ...base, target: { identity: base.target.identity } },
      { ...base, migrations: [] },
      { ...base, environment: 'qa' },
    ];
    for (const v of variants) {
      expect(planHash(v) !== planHash(base)).toBe(comparePlans(base, v).length > 0);
    }
  });
});
