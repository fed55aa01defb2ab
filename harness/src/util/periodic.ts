/**
 * Runs tick again and again, each start intervalMs after the previous one's (at once when a
 * tick took longer), never two at a time, until tick returns false, throws, or stop() is called.
 * stop() cuts the wait short and resolves when the tick under way is done; it rejects with
 * what a tick threw. firstAfterMs puts off the first tick (a caller that just ran one itself).
 */
export function periodic(intervalMs: number, tick: () => Promise<boolean | void>, firstAfterMs = 0): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = async (ms: number) => {
    if (ms <= 0 || stopped) return;
    await new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
    wake = undefined;
  };
  const loop = (async () => {
    await sleep(firstAfterMs);
    while (!stopped) {
      const began = performance.now();
      if ((await tick()) === false) return;
      await sleep(intervalMs - (performance.now() - began));
    }
  })();
  // What a tick threw is stop()'s to report; until then it is not an unhandled rejection.
  loop.catch(() => undefined);
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
