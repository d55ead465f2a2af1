import { STEP_KINDS, type Step, type StepKind } from '../config/schema/steps.ts';
import { approvalHandler } from './approval.ts';
import { buildHandler } from './build.ts';
import { caddyStepHandler } from './caddy.ts';
import { deployHandler } from './deploy.ts';
import { pushHandler } from './push.ts';
import { runHandler } from './run.ts';
import { sshKeysHandler } from './ssh-keys.ts';
import type { StepHandler } from './types.ts';

/** Every step kind implemented so far; add a handler here to make its kind runnable. */
const HANDLERS: StepHandler[] = [
  runHandler,
  approvalHandler,
  sshKeysHandler,
  caddyStepHandler,
  buildHandler,
  pushHandler,
  deployHandler,
];

const byKind = new Map<StepKind, StepHandler>(HANDLERS.map((h) => [h.kind, h]));

/** The handler of a step kind, or undefined when that kind is not implemented yet. */
export function stepHandler(kind: StepKind): StepHandler | undefined {
  return byKind.get(kind);
}

/** The kind of a step: the one key of the step object that names a kind. */
export function stepKind(step: Step): StepKind {
  const kind = STEP_KINDS.find((k) => k in step);
  if (!kind) throw new Error(`step has no known kind: ${Object.keys(step).join(', ')}`);
  return kind;
}

/** A step's display name: its `name`, else its kind. */
export function stepName(step: Step): string {
  return step.name ?? stepKind(step);
}
