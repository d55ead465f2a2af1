import type { Store } from '../../store/store.ts';
import type { RunEvent } from '../../store/types.ts';
import { gateLines, mark, treeLines } from './format.ts';

/** Shows a run's events as they arrive. */
export interface RunRenderer {
  event(e: RunEvent): void;
  /** Called after each batch of events (the live tree redraws here). */
  flush(): void;
  end(): void;
}

/**
 * A write function that goes quiet when the reader goes away (`slipway run --json | head`): the run
 * must go on rather than die of EPIPE halfway through a deploy.
 */
function tolerantWriter(out: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  out.on('error', () => {
    closed = true;
  });
  return (text) => {
    if (!closed) out.write(text);
  };
}

/** NDJSON: one event object per line on stdout, for scripts. */
export function ndjsonRenderer(out: NodeJS.WritableStream = process.stdout): RunRenderer {
  const write = tolerantWriter(out);
  return {
    event: (e) => write(`${JSON.stringify(e)}\n`),
    flush() {},
    end() {},
  };
}

/** Plain lines, one per event, for logs and pipes. */
export function plainRenderer(
  store: Store,
  runId: number,
  out: NodeJS.WritableStream = process.stdout,
): RunRenderer {
  const write = tolerantWriter(out);
  const names = new Map(store.runs.steps(runId).map((s) => [`${s.job}/${s.idx}`, s.name]));
  const at = (e: RunEvent) => new Date(e.ts).toISOString().slice(11, 19);
  const where = (e: RunEvent) =>
    `${e.job}${e.step === undefined ? '' : ` › ${names.get(`${e.job}/${e.step}`) ?? e.step}`}${e.host ? ` @${e.host}` : ''}`;
  return {
    event(e) {
      const why = e.text ? `: ${e.text}` : '';
      switch (e.kind) {
        case 'log':
          write(`${at(e)} ${where(e)} | ${e.text}\n`);
          return;
        case 'run':
          write(`${at(e)} ${mark(e.status ?? '')} run ${runId} ${e.status}${why}\n`);
          return;
        case 'gate': {
          write(`${at(e)} gate ${where(e)} ${e.status}${why}\n`);
          const gate = store.gates.latest(runId, e.job!, e.step);
          if (e.status === 'pending' && gate) write(`${gateLines(gate, '    ').join('\n')}\n`);
          return;
        }
        case 'lock':
          write(`${at(e)} lock ${e.text}\n`);
          return;
        default:
          write(
            `${at(e)} ${mark(e.status ?? '')} ${e.kind === 'job' ? 'job ' : ''}${where(e)} ${e.status}${why}\n`,
          );
      }
    },
    flush() {},
    end() {},
  };
}

/** The live tree for a terminal: jobs, steps and hosts redrawn in place, with the latest output lines below. */
export function treeRenderer(
  store: Store,
  runId: number,
  out: NodeJS.WriteStream = process.stdout,
): RunRenderer {
  const write = tolerantWriter(out);
  let drawn = 0;
  let dirty = true;
  const recent: string[] = [];
  const draw = () => {
    const detail = store.detail(runId);
    if (!detail) return;
    const width = out.columns || 120;
    const lines = [...treeLines(detail), ...recent.map((l) => `  | ${l}`)].map((l) =>
      l.length > width ? `${l.slice(0, width - 1)}…` : l,
    );
    write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
    dirty = false;
  };
  const timer = setInterval(() => {
    if (dirty || detailHasRunning(store, runId)) draw();
  }, 250);
  timer.unref();
  return {
    event(e) {
      dirty = true;
      if (e.kind === 'log') {
        recent.push(`${e.job}: ${e.text}`);
        if (recent.length > 6) recent.shift();
      }
    },
    flush() {},
    end() {
      clearInterval(timer);
      recent.length = 0;
      draw();
    },
  };
}

function detailHasRunning(store: Store, runId: number): boolean {
  return store.runs.get(runId)?.status === 'running';
}
