import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardData } from './data.ts';
import { SECURITY_HEADERS } from './http.ts';

/** Lines sent per poll at most, so a burst of output cannot hold the event loop. */
const BATCH = 500;
/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Streams a run to the browser as server-sent events, tailing the store by cursor: `log` events (id = the
 * log line's id, so a reconnecting EventSource resumes after the last line it got), `state` when anything
 * the run page shows changed, and `end` once the run is over and every line is out.
 * The store is polled rather than subscribed to because the engine that writes it may be another process
 * (a CLI approval resumes a run wherever it is).
 */
export function followRun(opts: {
  req: IncomingMessage;
  res: ServerResponse;
  data: DashboardData;
  runId: string;
  after: number;
  /** The state version the page was rendered at; a different one at the first poll is reported at once. */
  version?: string;
  pollMs: number;
  streams: Set<ServerResponse>;
}): void {
  const { res, data, runId, streams } = opts;
  let cursor = opts.after;
  let version = opts.version;
  let lastWrite = Date.now();
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  streams.add(res);

  const write = (text: string) => {
    res.write(text);
    lastWrite = Date.now();
  };
  const tick = () => {
    let lines = data.logsAfter(runId, cursor, BATCH);
    while (lines.length > 0) {
      for (const l of lines) write(`id: ${l.id}\nevent: log\ndata: ${JSON.stringify(l)}\n\n`);
      cursor = lines.at(-1)!.id;
      lines = lines.length === BATCH ? data.logsAfter(runId, cursor, BATCH) : [];
    }
    const state = data.runState(runId);
    if (state && state.version !== version) {
      write(`event: state\ndata: ${JSON.stringify(state.version)}\n\n`);
      version = state.version;
    }
    if (!state || state.final) {
      write('event: end\ndata: {}\n\n');
      return stop();
    }
    if (Date.now() - lastWrite > HEARTBEAT_MS) write(': keep-alive\n\n');
  };
  const timer = setInterval(tick, opts.pollMs);
  const stop = () => {
    clearInterval(timer);
    streams.delete(res);
    res.end();
  };
  opts.req.on('close', stop);
  tick();
}
