import type { Command } from 'commander';

/** Adds one command (or a group of them) to the program. */
export type RegisterCommand = (program: Command) => void;

/**
 * Every command of the CLI by name, loaded on demand: a command imports only its own dependency graph
 * (validate need not load dockerode, octokit or the dashboard), which keeps start-up short.
 */
export const commandLoaders: Record<string, () => Promise<RegisterCommand>> = {
  init: async () => (await import('./init.ts')).registerInit,
  validate: async () => (await import('./validate.ts')).registerValidate,
  inventory: async () => (await import('./inventory.ts')).registerInventory,
  schema: async () => (await import('./schema.ts')).registerSchema,
  drift: async () => (await import('./drift.ts')).registerDrift,
  describe: async () => (await import('./describe.ts')).registerDescribe,
  sandbox: async () => (await import('./sandbox.ts')).registerSandbox,
  user: async () => (await import('./user.ts')).registerUser,
  app: async () => (await import('./app.ts')).registerApp,
  approvals: async () => (await import('./approvals.ts')).registerApprovals,
  approve: async () => (await import('./approve.ts')).registerApprove,
  cancel: async () => (await import('./cancel.ts')).registerCancel,
  logs: async () => (await import('./logs.ts')).registerLogs,
  plan: async () => (await import('./plan.ts')).registerPlan,
  reject: async () => (await import('./reject.ts')).registerReject,
  releases: async () => (await import('./releases.ts')).registerReleases,
  backups: async () => (await import('./backups.ts')).registerBackups,
  restore: async () => (await import('./restore.ts')).registerRestore,
  rollback: async () => (await import('./rollback.ts')).registerRollback,
  rerun: async () => (await import('./rerun.ts')).registerRerun,
  resume: async () => (await import('./resume.ts')).registerResume,
  run: async () => (await import('./run.ts')).registerRun,
  runs: async () => (await import('./runs.ts')).registerRuns,
  show: async () => (await import('./show.ts')).registerShow,
  serve: async () => (await import('./serve.ts')).registerServe,
};

/** Global options that take a value, so the command word after them can be found before parsing. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-C', '--repo', '--inventories', '--policy-ref', '--parallel']);

/** The command word of an argv (after node and script), or undefined for help, a typo or none. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return Object.hasOwn(commandLoaders, arg) ? arg : undefined;
  }
  return undefined;
}

/** The commands to register for this argv: just the one named, or all of them for help and errors. */
export async function commandsFor(args: readonly string[]): Promise<RegisterCommand[]> {
  const word = commandWord(args);
  const loaders = word ? [commandLoaders[word]!] : Object.values(commandLoaders);
  return Promise.all(loaders.map((load) => load()));
}
