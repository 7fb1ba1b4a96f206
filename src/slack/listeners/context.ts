/** What every listener gets: core's dependencies, the run and window services, the run messenger, and the tracker for work that outlives the ack. */
import type { InflightWork } from '../../base/inflight.js';
import type { BotMetrics, CoreDeps } from '../../core/index.js';
import type { RunService, WindowService } from '../../core/index.js';
import type { RunMessenger } from '../run-messenger.js';

export interface ListenerContext {
  readonly deps: CoreDeps;
  readonly inflight: InflightWork;
  readonly runs: RunService;
  readonly messenger: RunMessenger;
  /** Maintenance windows: schedule, list, cancel. */
  readonly windows: WindowService;
  /** The bot's own metrics (slash-command ack latency); absent where nobody scrapes. */
  readonly metrics?: BotMetrics;
}
