import type { Command } from 'commander';
import type { RegisterCommand } from './index.ts';

/** A subcommand of `slipway app` with the operands and option every one of them takes. */
function appSubcommand(app: Command, name: string, description: string, operand: string): Command {
  return app
    .command(name)
    .description(description)
    .argument('<env>', 'environment')
    .argument('<app>', 'app (as its deploy step names it)')
    .argument(
      operand,
      operand.startsWith('[service]') ? 'only this compose service' : '[SERVICE] -- COMMAND [ARG...]',
    )
    .option('--host <host>', 'only this host');
}

/**
 * `slipway app status|logs|exec ENV APP [SERVICE]`: what runs of an app on each host of an environment, its
 * containers' output through the Docker API, and a command in its current release's container.
 */
export const registerApp: RegisterCommand = (program) => {
  const app = program
    .command('app')
    .description(
      'see and act on a deployed app: status per host, container logs, a command in its container',
    );
  appSubcommand(
    app,
    'status',
    'per host: the live release, its digest, health and since when, each service container',
    '[service]',
  )
    .option('--json', 'print JSON')
    .action(async (env: string, name: string, service: string | undefined, flags, cmd: Command) => {
      const { appStatusCommand } = await import('../app-status.ts');
      await appStatusCommand(cmd, { env, app: name, service, ...flags });
    });
  appSubcommand(
    app,
    'logs',
    "the app's container output (secrets masked), through the Docker API over SSH",
    '[service]',
  )
    .option('-n, --tail <lines>', 'lines of each container to start with', '100')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--json', 'NDJSON lines: host, service, stream, at, line')
    .action(async (env: string, name: string, service: string | undefined, flags, cmd: Command) => {
      const { appLogsCommand } = await import('../app-logs.ts');
      await appLogsCommand(cmd, { env, app: name, service, ...flags });
    });
  appSubcommand(
    app,
    'exec',
    "run a command (argv after --, no shell) in the current release's container on one host (--host, or --all); recorded in the audit",
    '[service-and-command...]',
  )
    .usage('[options] <env> <app> [service] -- <command> [args...]')
    .option(
      '--all',
      'run it on every host that runs the app, one after the other (else name one with --host)',
    )
    .action(async (env: string, name: string, operands: string[], flags, cmd: Command) => {
      const { appExecCommand, splitExecOperands } = await import('../app-exec.ts');
      // commander drops `--`; the raw argv says where the command starts.
      await appExecCommand(cmd, { env, app: name, ...splitExecOperands(operands, process.argv), ...flags });
    });
};
