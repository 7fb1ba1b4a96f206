/**
 * Identifier minting: message ts (`<10 digits>.<6 digits>`, strictly increasing), trigger ids,
 * view/file ids, envelope ids and unguessable URL secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../../src/base/clock.js';

export class IdFactory {
  private lastMicros = 0;
  private counter = 0;

  constructor(private readonly clock: Clock) {}

  /** A new unique message timestamp, never smaller than the previous one. */
  ts(): string {
    const micros = Math.max(Math.floor(this.clock.now()) * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    const secs = Math.floor(micros / 1_000_000);
    const frac = micros % 1_000_000;
    return `${String(secs).padStart(10, '0')}.${String(frac).padStart(6, '0')}`;
  }

  /** Sequential ids with a prefix, e.g. `V0EMU00001`. */
  next(prefix: string): string {
    this.counter += 1;
    return `${prefix}0EMU${String(this.counter).padStart(5, '0')}`;
  }

  /** A trigger id shaped like Slack's: `<digits>.<digits>.<32 hex>`. */
  triggerId(): string {
    this.counter += 1;
    return `${7712345600000 + this.counter}.7700000000001.${randomBytes(16).toString('hex')}`;
  }

  secret(): string {
    return randomBytes(9).toString('base64url');
  }

  envelopeId(): string {
    return randomUUID();
  }
}
