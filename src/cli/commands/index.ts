import type { Command } from 'commander';
import { registerDescribe } from './describe.ts';
import { registerInventory } from './inventory.ts';
import { registerSandbox } from './sandbox.ts';
import { registerSchema } from './schema.ts';
import { registerServe } from './serve.ts';
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
  registerServe,
];
