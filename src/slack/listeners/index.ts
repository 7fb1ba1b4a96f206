/** Registers every listener, by kind (commands, actions, views, events): the app's one list of what it answers. */
import type { App } from '@slack/bolt';
import { registerCancelRehearsal } from './actions/cancel-rehearsal.js';
import { registerRestoreView } from './actions/restore-view.js';
import { registerRevertDown } from './actions/revert-down.js';
import { registerRunActions } from './actions/run-actions.js';
import { registerStopWatching } from './actions/stop-watching.js';
import { registerWindowActions } from './actions/window-actions.js';
import { registerCommands } from './commands/index.js';
import { registerEvents } from './events/index.js';
import { registerHomeActions } from './actions/home-actions.js';
import type { ListenerContext } from './context.js';
import { registerViews } from './views/index.js';

export function registerListeners(app: App, ctx: ListenerContext): void {
  registerCommands(app, ctx);
  registerRunActions(app, ctx);
  registerStopWatching(app, ctx);
  registerRestoreView(app, ctx);
  registerCancelRehearsal(app, ctx);
  registerRevertDown(app, ctx);
  registerWindowActions(app, ctx);
  registerViews(app, ctx);
  registerEvents(app, ctx);
  registerHomeActions(app, ctx);
}
