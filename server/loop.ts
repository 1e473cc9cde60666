/**
 * A background worker loop: runs `pass` again at once while it reports work done, otherwise sleeps `intervalMs` or
 * until poked. A pass that throws is reported to `onError` and the loop goes on.
 */
export function createLoop(pass: () => Promise<boolean>, onError: (error: unknown) => void) {
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  return {
    start(intervalMs: number): void {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          let worked = false;
          try {
            worked = await pass();
          } catch (error) {
            onError(error);
          }
          if (!worked && running) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, intervalMs);
            });
          }
        }
      })();
    },
    /** Wakes the loop now (new work arrived). */
    poke(): void {
      wake?.();
    },
    async stop(): Promise<void> {
      running = false;
      wake?.();
      await loop;
    },
  };
}
