/**
 * Where a migration runner works, as one value: the executor its commands run on, and the database as
 * seen from this process and from that executor's host. The two URLs are the same for a database
 * reached directly; through a bastion, this process connects to its end of a tunnel while commands on
 * the bastion are given the database's own address. (core's EnvironmentTarget is one; so can be a
 * scratch database.)
 */
import type { Executor } from '../exec/executor.js';

export interface RunnerTarget {
  /** Where the runner's commands (the Prisma CLI) run. */
  readonly executor: Executor;
  /** The URL to connect to from this process (ledger reads). Contains the password. */
  readonly url: string;
  /** The URL as seen from the executor's host: what its commands are given. Contains the password. */
  readonly executorUrl: string;
}
