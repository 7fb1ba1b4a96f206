/**
 * A person at the CLI on the bot's host (`cli:<OS user>`) may take the CLI's actions on a run whose
 * environment names approvers it is not among (shell access reaches the database already); a Slack
 * stranger may not. The actor string itself is what the audit log records.
 */
import { authorize, cliActor, isCliActor, type AuthorizeInput } from '../../../src/core/runs/authorize.js';

const base: Omit<AuthorizeInput, 'actor'> = {
  run: {
    id: 'abcd1234',
    environment: 'production',
    state: 'failed',
    requestedBy: 'U0REQUEST1',
    planHash: 'h',
    approvalRequestedAt: 0,
  },
  policy: { required: 1, approvers: ['U0APPROVE1'], allowSelfApproval: false, expiresAfterMinutes: 60 },
  now: 0,
  hasBackup: true,
  actorGroups: [],
};

describe('CLI actors', () => {
  it('are named cli:<OS user> and told apart from Slack ids', () => {
    expect(cliActor('deploy')).toBe('cli:deploy');
    expect(isCliActor('cli:deploy')).toBe(true);
    expect(isCliActor('cli:')).toBe(false);
    expect(isCliActor('U0APPROVE1')).toBe(false);
  });

  it('may restore a run a Slack stranger may not', () => {
    expect(authorize('restore', { ...base, actor: 'U0STRANGER' })).toMatchObject({ code: 'NOT_ALLOWED' });
    expect(authorize('restore', { ...base, actor: cliActor('deploy') })).toEqual({
      kind: 'allowed',
      action: 'restore',
    });
  });

  it('are still bound by what the run allows', () => {
    const done = { ...base, run: { ...base.run, state: 'rejected' as const } };
    expect(authorize('restore', { ...done, actor: cliActor('deploy') }).kind).toBe('refusal');
  });
});
