import type { App } from '@slack/bolt';
import type { ListenerContext } from '../context.js';
import { registerAppHome } from './app-home-opened.js';

/** Registers every Events API listener. */
export function registerEvents(app: App, ctx: ListenerContext): void {
  registerAppHome(app, ctx);
}
