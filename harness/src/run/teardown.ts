/** Teardown actions run in reverse order of setup, all of them, even when some fail. */
export class TeardownStack {
  private readonly items: { name: string; fn: () => Promise<unknown> }[] = [];

  push(name: string, fn: () => Promise<unknown>): void {
    this.items.push({ name, fn });
  }

  async runAll(): Promise<string[]> {
    const problems: string[] = [];
    while (this.items.length) {
      const { name, fn } = this.items.pop()!;
      try {
        const r = await fn();
        if (Array.isArray(r) && r.length) problems.push(...r.map((p) => `${name}: ${p}`));
      } catch (e) {
        problems.push(`${name}: ${(e as Error).message}`);
      }
    }
    return problems;
  }
}
