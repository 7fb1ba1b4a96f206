import type { App } from '@slack/bolt';
import type { ListenerContext } from '../context.js';
import { migrateCommand } from './migrate.js';

/** Registers every slash command. */
export function registerCommands(app: App, ctx: ListenerContext): void {
  app.command('/migrate', migrateCommand(ctx));
}
