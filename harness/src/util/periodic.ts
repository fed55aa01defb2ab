/**
 * Runs tick again and again, each start intervalMs after the previous one's (at once when a
 * tick took longer), never two at a time, until tick returns false, throws, or stop() is called.
 * stop() cuts the wait short and resolves when the tick under way is done; it rejects with
 * what a tick threw.
 */
export function periodic(intervalMs: number, tick: () => Promise<boolean | void>): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const began = performance.now();
      if ((await tick()) === false) return;
      const wait = intervalMs - (performance.now() - began);
      if (wait > 0 && !stopped) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wake = undefined;
      }
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
