import type { App } from '@slack/bolt';
import type { ListenerContext } from '../context.js';
import { registerWindowView } from './window-view.js';

/** Registers every modal submission handled here. */
export function registerViews(app: App, ctx: ListenerContext): void {
  registerWindowView(app, ctx);
}
