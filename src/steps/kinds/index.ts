// The registry of step kinds: one line per kind. Everything else about steps (the pipeline schema, the
// cross-file checks, `slipway describe`, the README's table, the engine's lookup) is derived from it.
import { z } from 'zod';
import { matchHosts } from '../../config/inventory/targets.ts';
import type { DescribeContext, StepKindDef } from '../kind.ts';
import type { StepHandler } from '../types.ts';
import { ansibleKind } from './ansible.ts';
import { approvalKind } from './approval.ts';
import { buildKind } from './build.ts';
import { caddyKind } from './caddy.ts';
import { deployKind } from './deploy.ts';
import { dockerHostKind } from './docker-host.ts';
import { pushKind } from './push.ts';
import { runKind } from './run.ts';
import { sshKeysKind } from './ssh-keys.ts';
import { syncKind } from './sync.ts';

/** Every step kind, in the order users read them in docs. */
export const STEP_KINDS = [
  runKind,
  approvalKind,
  sshKeysKind,
  caddyKind,
  dockerHostKind,
  ansibleKind,
  buildKind,
  pushKind,
  deployKind,
  syncKind,
] as const;

type Kinds = typeof STEP_KINDS;
type Schemas = { -readonly [I in keyof Kinds]: Kinds[I] extends { schema: infer S } ? S : never };

/** A step of any kind, as written in a pipeline. */
export const step = z.union(STEP_KINDS.map((k) => k.schema) as unknown as Schemas);
export type Step = z.infer<typeof step>;
export type StepKind = (typeof STEP_KINDS)[number]['key'];

/** The declaration of a step's kind: the one key of the step object that names a kind. */
export function kindOf(s: Step): StepKindDef {
  const kind = STEP_KINDS.find((k) => k.key in s);
  if (!kind) {
    const known = STEP_KINDS.map((k) => k.key).join(', ');
    throw new Error(`expected a step of kind ${known}; got one with keys ${Object.keys(s).join(', ')}`);
  }
  return kind as unknown as StepKindDef;
}

/** The kind key of a step. */
export function stepKind(s: Step): StepKind {
  return kindOf(s).key as StepKind;
}

/** A step's display name: its `name`, else its kind. */
export function stepName(s: Step): string {
  return s.name ?? stepKind(s);
}

/** The options of a step (the value under its kind's key). */
export function stepOptions(s: Step): unknown {
  return (s as Record<string, unknown>)[stepKind(s)];
}

/** A step in one line for `slipway describe`: its label, what it does, and the hosts it targets. */
export function describeStep(s: Step, ctx: DescribeContext): string {
  const kind = kindOf(s);
  const label = s.name ? `${kind.key} "${s.name}"` : kind.key;
  const text = `${label}: ${kind.describe(stepOptions(s), ctx)}`;
  if (kind.hosts === 'runner' || !ctx.inventory) return text;
  const pattern = kind.hosts(stepOptions(s));
  const hosts = (matchHosts(ctx.inventory, pattern) ?? []).map((h) =>
    h.address === h.name ? h.name : `${h.name} (${h.address})`,
  );
  return `${text} -> ${pattern}: ${hosts.join(', ') || 'no hosts'}`;
}

/** The README's table of step kinds (kept current by a unit test). */
export function stepKindsTable(): string {
  const rows = STEP_KINDS.map((k) => {
    const options = Object.keys((k.options as unknown as z.ZodObject).shape)
      .map((o) => `\`${o}\``)
      .join(', ');
    const where = k.hosts === 'runner' ? 'runner' : "environment's hosts";
    return `| \`${k.key}\` | ${k.summary} | ${where} | ${options} |`;
  });
  return ['| Kind | What it does | Runs on | Options |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The `plan` and `apply` of a step's kind, loaded on first use. */
export async function stepHandler(s: Step): Promise<StepHandler<Step>> {
  return (await kindOf(s).handler()) as StepHandler<Step>;
}
