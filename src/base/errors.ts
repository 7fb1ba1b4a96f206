import { redact } from './redact.js';

/**
 * A fault: something went wrong that nobody expected. It carries a stable `code` for callers and
 * tests, a `hint` for the person reading it, and the `cause`. Its message is redacted on creation.
 * An expected "no" (plan changed, lock held, outside the window) is a Refusal value instead.
 */
export class DrawbridgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DrawbridgeError';
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redact(options.hint);
  }
}

/** An expected refusal, with the reason and what to do about it. */
export interface Refusal {
  readonly kind: 'refusal';
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export function refusal(code: string, message: string, hint?: string): Refusal {
  return hint === undefined ? { kind: 'refusal', code, message } : { kind: 'refusal', code, message, hint };
}

/** Turns anything thrown into a redacted one-line description for people. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === 'string' && code.length > 0 ? `${code}: ` : '';
    return redact(`${prefix}${err.message}`);
  }
  return redact(String(err));
}
