import type { Command } from 'commander';
import { registerSandbox } from './sandbox.ts';

/** Adds one command (or a group of them) to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command of the CLI; each module owns one command or one group. */
export const commands: RegisterCommand[] = [registerSandbox];
