import { type Html, html } from './html.ts';

/** One bar of a timeline: a span of time with a status colour. */
export interface TimeSpan {
  label: string;
  status: string;
  start: number;
  end: number;
}

/** A horizontal bar whose length is `value / max` of the width: the runs list's duration column. */
export function durationBar(value: number, max: number, status: string, width = 120): Html {
  const w = max > 0 ? Math.max(2, Math.round((value / max) * width)) : 2;
  return html`<svg class="dbar" width="${width}" height="8" aria-hidden="true"><rect class="bar st-${status}" width="${w}" height="8" rx="2"/></svg>`;
}

/** A Gantt chart of spans against the run's own clock: when each job started and how long it took. */
export function timeline(spans: readonly TimeSpan[], width = 600): Html {
  if (spans.length === 0) return html``;
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(1, Math.max(...spans.map((s) => s.end)) - t0);
  const labelW = 150;
  const row = 18;
  const scale = (width - labelW) / total;
  const rows = spans.map((s, i) => {
    const x = labelW + Math.round((s.start - t0) * scale);
    const w = Math.max(2, Math.round((s.end - s.start) * scale));
    return html`<g><text x="0" y="${i * row + 12}">${s.label}</text><rect class="bar st-${s.status}" x="${x}" y="${i * row + 3}" width="${w}" height="12" rx="2"/></g>`;
  });
  return html`<svg class="timeline" width="${width}" height="${spans.length * row}" role="img" aria-label="job durations">${rows}</svg>`;
}
