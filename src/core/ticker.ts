/**
 * The ticker drives scheduled work (the approval-expiry sweep now; reminders and the 24-hour watch
 * later): in production node-cron fires every minute, and `tick()` fires on demand; in tests a
 * ManualTicker fires only when told, together with a manual clock. A handler that throws is logged
 * and never stops the others.
 */
import cron from 'node-cron';
import { describeError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';

export type TickHandler = () => void | Promise<void>;

export interface Ticker {
  /** Adds work to every tick. */
  onTick(handler: TickHandler): void;
  /** Runs every handler now, in order; resolves when they are done. */
  tick(): Promise<void>;
  /** When the last tick ended (clock ms), undefined before the first. */
  readonly lastTickAt: number | undefined;
  start(): void;
  stop(): void;
}

abstract class BaseTicker implements Ticker {
  private readonly handlers: TickHandler[] = [];
  lastTickAt: number | undefined;

  constructor(
    protected readonly logger: Pick<Logger, 'warn'>,
    private readonly now: () => number,
  ) {}

  onTick(handler: TickHandler): void {
    this.handlers.push(handler);
  }

  async tick(): Promise<void> {
    for (const h of this.handlers) {
      try {
        await h();
      } catch (err) {
        this.logger.warn({ err: describeError(err) }, 'a scheduled task failed');
      }
    }
    this.lastTickAt = this.now();
  }

  abstract start(): void;
  abstract stop(): void;
}

/** Fires every minute with node-cron. */
export class CronTicker extends BaseTicker {
  private task: ReturnType<typeof cron.schedule> | undefined;

  start(): void {
    if (this.task) return;
    this.task = cron.schedule('* * * * *', () => void this.tick(), { noOverlap: true });
  }

  stop(): void {
    void this.task?.stop();
    this.task = undefined;
  }
}

/** Fires only when `tick()` is called (tests). */
export class ManualTicker extends BaseTicker {
  start(): void {}
  stop(): void {}
}
