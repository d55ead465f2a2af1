import type { Service } from './server.ts';

/**
 * A service that runs `task` at start and then every `intervalMs`; a round still under way when the next
 * is due is not doubled, and stopping waits for it. `task` handles its own errors.
 */
export function periodic(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
): Service & { start(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const round = () => {
    running ??= task().finally(() => {
      running = undefined;
    });
  };
  return {
    name,
    start() {
      round();
      timer = setInterval(round, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
