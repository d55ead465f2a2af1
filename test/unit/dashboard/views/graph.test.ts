import { describe, expect, it } from 'vitest';
import { GRAPH_METRICS, layoutGraph, renderJobGraph } from '../../../../src/dashboard/views/graph.ts';

const app = [
  { name: 'publish', needs: [] },
  { name: 'deploy-dev', needs: ['publish'] },
  { name: 'deploy-prod', needs: ['deploy-dev'] },
];

describe('job graph layout', () => {
  it('puts each job one layer after its deepest need', () => {
    const jobs = [
      { name: 'a', needs: [] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['a', 'b'] },
      { name: 'd', needs: [] },
    ];
    const l = layoutGraph(jobs);
    expect(Object.fromEntries(l.nodes.map((n) => [n.name, n.layer]))).toEqual({ a: 0, d: 0, b: 1, c: 2 });
    expect(l.edges).toEqual([
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('orders a layer by the position of its needs so edges do not cross', () => {
    // x2 needs the second root, x1 the first: pipeline order would cross the edges.
    const l = layoutGraph([
      { name: 'r1', needs: [] },
      { name: 'r2', needs: [] },
      { name: 'x2', needs: ['r2'] },
      { name: 'x1', needs: ['r1'] },
    ]);
    const idx = Object.fromEntries(l.nodes.map((n) => [n.name, n.index]));
    expect(idx).toEqual({ r1: 0, r2: 1, x1: 0, x2: 1 });
  });

  it('sizes the drawing to its columns and tallest column, centring shorter columns', () => {
    const { nodeWidth, nodeHeight, gapX, gapY, pad } = GRAPH_METRICS;
    const l = layoutGraph([
      { name: 'a', needs: [] },
      { name: 'b', needs: [] },
      { name: 'c', needs: ['a', 'b'] },
    ]);
    expect(l.width).toBe(2 * pad + 2 * nodeWidth + gapX);
    expect(l.height).toBe(2 * pad + 2 * nodeHeight + gapY);
    const c = l.nodes.find((n) => n.name === 'c')!;
    expect(c.x).toBe(pad + nodeWidth + gapX);
    expect(c.y).toBe(pad + (nodeHeight + gapY) / 2);
  });

  it('rejects a cycle and ignores needs on unknown jobs', () => {
    expect(() =>
      layoutGraph([
        { name: 'a', needs: ['b'] },
        { name: 'b', needs: ['a'] },
      ]),
    ).toThrow(/cycle/);
    expect(layoutGraph([{ name: 'a', needs: ['ghost'] }]).edges).toEqual([]);
  });

  it('renders boxes coloured by status with escaped names and one edge per need', () => {
    const svg = renderJobGraph(
      app.map((j, i) => ({ ...j, status: ['succeeded', 'running', 'waiting'][i]!, gated: i === 2 })),
    ).text;
    expect(svg.startsWith('<svg class="graph"')).toBe(true);
    expect(svg.match(/<path class="edge"/g)).toHaveLength(2);
    expect(svg).toContain('class="node st-waiting" data-job="deploy-prod"');
    expect(svg.match(/class="gate-mark"/g)).toHaveLength(1);
    expect(renderJobGraph([{ name: '<x>', needs: [], status: 'ok' }]).text).toContain('&lt;x&gt;');
  });
});
