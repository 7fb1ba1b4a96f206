/** What CLI commands return: text for people or JSON for scripts, and the exit code. */
export interface CliOutcome {
  exitCode: number;
  text: string;
  json: unknown;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** JSON with Dates as ISO strings (the default), indented. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
