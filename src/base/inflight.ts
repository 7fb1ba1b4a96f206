/**
 * Keeps track of work that continues after a Slack request was acknowledged, so that SIGTERM can
 * wait for it (drain) instead of cutting it off.
 */
export class InflightWork {
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  /** Registers a promise; its rejection is reported through `onError`, never left unhandled. */
  track(work: Promise<unknown>, onError: (err: unknown) => void): void {
    const p = work.catch(onError).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  get size(): number {
    return this.pending.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops accepting and waits for the work under way, at most `timeoutMs`. Returns what was still running. */
  async drain(timeoutMs: number): Promise<number> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
    return this.pending.size;
  }
}
