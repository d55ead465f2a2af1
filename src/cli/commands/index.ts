import type { Command } from 'commander';
import { registerApprovals } from './approvals.ts';
import { registerApprove } from './approve.ts';
import { registerCancel } from './cancel.ts';
import { registerDescribe } from './describe.ts';
import { registerInventory } from './inventory.ts';
import { registerLogs } from './logs.ts';
import { registerPlan } from './plan.ts';
import { registerReject } from './reject.ts';
import { registerReleases } from './releases.ts';
import { registerResume } from './resume.ts';
import { registerRollback } from './rollback.ts';
import { registerRun } from './run.ts';
import { registerRuns } from './runs.ts';
import { registerSandbox } from './sandbox.ts';
import { registerSchema } from './schema.ts';
import { registerServe } from './serve.ts';
import { registerShow } from './show.ts';
import { registerUser } from './user.ts';
import { registerValidate } from './validate.ts';

/** Adds one command (or a group of them) to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command of the CLI; each module owns one command or one group. */
export const commands: RegisterCommand[] = [
  registerValidate,
  registerInventory,
  registerSchema,
  registerDescribe,
  registerSandbox,
  registerUser,
  registerApprovals,
  registerApprove,
  registerCancel,
  registerLogs,
  registerPlan,
  registerReject,
  registerReleases,
  registerRollback,
  registerResume,
  registerRun,
  registerRuns,
  registerShow,
  registerServe,
];
