import type { Pipeline } from '../config/schema/pipeline.ts';

/**
 * The jobs a run executes, in pipeline order: all of them, or the chosen ones plus everything they need.
 * Throws on an unknown job, an unknown need, or a cycle.
 */
export function selectJobs(pipeline: Pipeline, only?: readonly string[]): string[] {
  const names = Object.keys(pipeline.jobs);
  for (const name of names) {
    for (const need of pipeline.jobs[name]!.needs) {
      if (!pipeline.jobs[need])
        throw new Error(`job ${name} needs ${need}, which is not a job of ${pipeline.name}`);
    }
  }
  assertAcyclic(pipeline);
  if (!only?.length) return names;
  const chosen = new Set<string>();
  const visit = (name: string) => {
    if (chosen.has(name)) return;
    if (!pipeline.jobs[name])
      throw new Error(`${pipeline.name} has no job ${name} (jobs: ${names.join(', ')})`);
    chosen.add(name);
    for (const need of pipeline.jobs[name]!.needs) visit(need);
  };
  for (const name of only) visit(name);
  return names.filter((n) => chosen.has(n));
}

function assertAcyclic(pipeline: Pipeline): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new Error(`jobs of ${pipeline.name} need each other in a cycle: ${[...path, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const need of pipeline.jobs[name]!.needs) visit(need, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(pipeline.jobs)) visit(name, []);
}
