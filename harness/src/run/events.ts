import type { RunReport, ScenarioReport } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';

/** Every hook optional (Playwright's lesson); a reporter that throws is disabled, the run goes on. */
export interface Reporter {
  /** What it writes, for messages when it fails (report.json, junit.xml...). */
  name?: string;
  onRunStart?(info: { runId: string; outDir: string; scenarios: Scenario[]; jobs: number }): void | Promise<void>;
  onStep?(scenario: Scenario, step: string, detail?: string): void;
  onWarning?(scenario: Scenario, text: string): void;
  onScenarioEnd?(report: ScenarioReport): void | Promise<void>;
  onRunEnd?(report: RunReport): void | Promise<void>;
}

export class Reporters {
  private readonly failed = new Set<Reporter>();
  constructor(private readonly list: Reporter[], private readonly onFailure: (text: string) => void = () => {}) {}

  async emit<K extends Exclude<keyof Reporter, 'name'>>(hook: K, ...args: Parameters<NonNullable<Reporter[K]>>): Promise<void> {
    for (const r of this.list) {
      if (this.failed.has(r)) continue;
      try {
        await (r[hook] as ((...a: unknown[]) => unknown) | undefined)?.apply(r, args);
      } catch (e) {
        this.failed.add(r);
        const text = r.name ? `could not write ${r.name}: ${(e as Error).message}` : `a reporter failed in ${hook} and is disabled: ${(e as Error).message}`;
        process.stderr.write(`hil: ${text}\n`);
        this.onFailure(text);
      }
    }
  }
}
