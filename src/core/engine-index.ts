/**
 * Core's second, narrow door (beside index.ts): what `drawbridge status`, `deploy` and `resolve` use,
 * the engine on one environment target and the CLI's actor name. Importing it loads no run pipeline,
 * windows, watch or integrations, so these commands start in the time the engine needs
 * (`npm run bench -- --only cli`). index.ts re-exports all of it.
 */
export type { CoreDeps } from './deps.js';
export { environmentStatus, unknownEnvironment } from './status-service.js';
export type { EnvironmentStatus, StatusFailure } from './status-service.js';
export { applyEnvironment, resolveEnvironment } from './engine-service.js';
export { cliActor, isCliActor } from './runs/authorize.js';
