/** A real executor that also keeps every command spec and output line it saw (for secrecy checks). */
import type { CommandResult, CommandSpec, Executor, OutputLine, Tunnel } from '../../../src/exec/executor.js';

export class RecordingExecutor implements Executor {
  readonly specs: CommandSpec[] = [];
  readonly lines: OutputLine[] = [];
  readonly results: CommandResult[] = [];

  constructor(private readonly inner: Executor) {}

  get description(): string {
    return this.inner.description;
  }

  async run(spec: CommandSpec, onOutput?: (line: OutputLine) => void): Promise<CommandResult> {
    this.specs.push(spec);
    const result = await this.inner.run(spec, (l) => {
      this.lines.push(l);
      onOutput?.(l);
    });
    this.results.push(result);
    return result;
  }

  openTunnel(host: string, port: number): Promise<Tunnel> {
    return this.inner.openTunnel(host, port);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Everything a process listing or a log could show of the recorded commands (not their env). */
export function visibleText(ex: RecordingExecutor): string {
  return [
    ...ex.specs.map((s) => [s.command, ...s.args, s.stdin ?? ''].join(' ')),
    ...ex.lines.map((l) => l.line),
    ...ex.results.map((r) => `${r.stdout}\n${r.stderr}`),
  ].join('\n');
}
