import { type Html, html, raw } from './html.ts';

/** A job as the graph needs it. */
export interface GraphJob {
  name: string;
  needs: string[];
  status: string;
  gated?: boolean;
}

/** Where a job's box goes. */
export interface PlacedNode {
  name: string;
  layer: number;
  index: number;
  x: number;
  y: number;
}

/** A layered drawing of the job DAG: jobs in columns by depth, edges from each need to its dependant. */
export interface GraphLayout {
  nodes: PlacedNode[];
  edges: { from: string; to: string }[];
  width: number;
  height: number;
}

/** Box size and spacing of the drawing, in SVG user units. */
export const GRAPH_METRICS = { nodeWidth: 150, nodeHeight: 44, gapX: 50, gapY: 18, pad: 8 } as const;

/** Layer of each job: 0 without needs, else one more than its deepest need. Throws on a cycle. */
function layers(jobs: readonly { name: string; needs: string[] }[]): Map<string, number> {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new Error(`job graph has a cycle through ${name}`);
    visiting.add(name);
    let d = 0;
    for (const need of byName.get(name)?.needs ?? []) if (byName.has(need)) d = Math.max(d, visit(need) + 1);
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const j of jobs) visit(j.name);
  return depth;
}

/**
 * Lays the DAG out in layers (longest path from the roots), ordering each layer by the mean position of
 * its needs (one barycenter sweep) so edges mostly run straight; ties keep pipeline order.
 */
export function layoutGraph(jobs: readonly { name: string; needs: string[] }[]): GraphLayout {
  const { nodeWidth, nodeHeight, gapX, gapY, pad } = GRAPH_METRICS;
  const depth = layers(jobs);
  const columns: string[][] = [];
  for (const j of jobs) {
    const layer = depth.get(j.name)!;
    columns[layer] = [...(columns[layer] ?? []), j.name];
  }
  const needsOf = new Map(jobs.map((j) => [j.name, j.needs]));
  const position = new Map<string, number>();
  columns.forEach((column, layer) => {
    if (layer > 0) {
      const centre = (name: string) => {
        const ps = needsOf.get(name)!.flatMap((n) => (position.has(n) ? [position.get(n)!] : []));
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
      };
      const order = new Map(column.map((n, i) => [n, i]));
      column.sort((a, b) => centre(a) - centre(b) || order.get(a)! - order.get(b)!);
    }
    column.forEach((n, i) => {
      position.set(n, i);
    });
  });
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const nodes: PlacedNode[] = [];
  columns.forEach((column, layer) => {
    // Shorter columns are centred against the tallest, which reads better than top-aligned.
    const offset = ((tallest - column.length) * (nodeHeight + gapY)) / 2;
    column.forEach((name, index) => {
      nodes.push({
        name,
        layer,
        index,
        x: pad + layer * (nodeWidth + gapX),
        y: pad + offset + index * (nodeHeight + gapY),
      });
    });
  });
  const names = new Set(jobs.map((j) => j.name));
  const edges = jobs.flatMap((j) =>
    j.needs.filter((n) => names.has(n)).map((n) => ({ from: n, to: j.name })),
  );
  return {
    nodes,
    edges,
    width: pad * 2 + columns.length * nodeWidth + Math.max(0, columns.length - 1) * gapX,
    height: pad * 2 + tallest * nodeHeight + Math.max(0, tallest - 1) * gapY,
  };
}

/** Pause bars in a job's corner: the job waits behind an approval gate. */
function gateMark(x: number, y: number): Html {
  return html`<g class="gate-mark"><title>approval gate</title><rect x="${x}" y="${y}" width="3" height="10"/><rect x="${x + 6}" y="${y}" width="3" height="10"/></g>`;
}

/** The job graph as inline SVG: one box per job coloured by status, linking to the job's section. */
export function renderJobGraph(jobs: readonly GraphJob[]): Html {
  const { nodeWidth: w, nodeHeight: h } = GRAPH_METRICS;
  const layout = layoutGraph(jobs);
  const at = new Map(layout.nodes.map((n) => [n.name, n]));
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const edges = layout.edges.map(({ from, to }) => {
    const a = at.get(from)!;
    const b = at.get(to)!;
    const x1 = a.x + w;
    const y1 = a.y + h / 2;
    const x2 = b.x;
    const y2 = b.y + h / 2;
    const mx = (x1 + x2) / 2;
    return html`<path class="edge" d="${`M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2 - 4} ${y2}`}" marker-end="url(#arrow)"/>`;
  });
  const boxes = layout.nodes.map((n) => {
    const job = byName.get(n.name)!;
    return html`<a href="#job-${n.name}" class="node st-${job.status}" data-job="${n.name}">
<rect x="${n.x}" y="${n.y}" width="${w}" height="${h}" rx="6"/>
<text x="${n.x + 10}" y="${n.y + 18}" class="name">${n.name}</text>${job.gated ? gateMark(n.x + w - 16, n.y + 8) : ''}
<text x="${n.x + 10}" y="${n.y + 35}" class="status">${job.status}</text></a>`;
  });
  return html`<svg class="graph" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" role="img" aria-label="job graph">
<defs><marker id="arrow" viewBox="0 0 8 8" refX="4" refY="4" markerWidth="8" markerHeight="8" orient="auto">${raw('<path d="M0 0 L8 4 L0 8 z"/>')}</marker></defs>
${edges}${boxes}</svg>`;
}
