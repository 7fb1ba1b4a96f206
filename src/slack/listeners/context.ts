/** What every listener gets: core's dependencies plus the tracker for work that outlives the ack. */
import type { InflightWork } from '../../base/inflight.js';
import type { CoreDeps } from '../../core/deps.js';

export interface ListenerContext {
  readonly deps: CoreDeps;
  readonly inflight: InflightWork;
}
