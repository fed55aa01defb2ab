/**
 * A status block at the bottom of a terminal: one line per running scenario with its step and
 * elapsed time, redrawn in place; lasting lines (verdicts, warnings) are printed above it.
 */
export class LiveBlock {
  private readonly running = new Map<string, { step: string; since: number; stepSince: number }>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly err: NodeJS.WritableStream, private readonly columns = () => (err as NodeJS.WriteStream).columns ?? 100) {}

  step(name: string, step: string, detail?: string): void {
    const now = performance.now();
    const cur = this.running.get(name);
    this.running.set(name, { step: detail ? `${step}: ${detail}` : step, since: cur?.since ?? now, stepSince: now });
    this.timer ??= setInterval(() => this.redraw(), 250).unref();
    this.redraw();
  }

  /** A line that stays: the block is cleared, the line printed, the block drawn again below it. */
  print(line: string, finished?: string): void {
    if (finished) this.running.delete(finished);
    this.clear();
    this.err.write(`${line}\n`);
    this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.running.clear();
  }

  private redraw(): void {
    this.clear();
    this.draw();
  }

  private clear(): void {
    // Up to the block's first line, then erase to the end of the screen.
    if (this.drawn) this.err.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    const now = performance.now();
    const width = Math.max(20, this.columns() - 1);
    const lines = [...this.running].map(([name, s]) =>
      `  \x1b[36m${((now - s.since) / 1000).toFixed(1).padStart(6)} s\x1b[0m ${name}: ${s.step} (${((now - s.stepSince) / 1000).toFixed(1)} s)`.slice(0, width + 9));
    if (!lines.length) return;
    this.err.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
