import type { Store } from '../../store/store.ts';
import { ndjsonRenderer, plainRenderer, type RunRenderer, treeRenderer } from './renderers.ts';

/** The renderer for how output is consumed: NDJSON when asked, a live tree on a terminal, else plain lines. */
export function chooseRenderer(store: Store, runId: number, json: boolean | undefined): RunRenderer {
  if (json) return ndjsonRenderer();
  return process.stdout.isTTY ? treeRenderer(store, runId) : plainRenderer(store, runId);
}

/**
 * Tails a run's events from the store (the one truth, whichever process writes them) into a renderer until
 * `until` settles and every event it caused is shown. Returns the last event id seen.
 */
export async function followRun(
  store: Store,
  runId: number,
  renderer: RunRenderer,
  until: Promise<unknown>,
  afterId = 0,
  intervalMs = 100,
): Promise<number> {
  let settled = false;
  until.then(
    () => (settled = true),
    () => (settled = true),
  );
  let cursor = afterId;
  for (;;) {
    const finished = settled; // read before draining, so nothing written before settling is missed
    for (
      let batch = store.events.after(runId, cursor);
      batch.length;
      batch = store.events.after(runId, cursor)
    ) {
      for (const e of batch) renderer.event(e);
      cursor = batch.at(-1)!.id;
    }
    renderer.flush();
    if (finished) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  renderer.end();
  return cursor;
}
