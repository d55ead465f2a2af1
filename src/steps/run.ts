import { resolve } from 'node:path';
import { execa } from 'execa';
import type { Change } from '../core/changes.ts';
import { LineSplitter } from '../logs/lines.ts';
import { stopGroup } from '../process/group.ts';
import { shellQuote } from '../remote/shell-quote.ts';
import type { RunStep } from './kinds/run.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** How long a canceled or timed-out command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 3_000;

/** A reference to a pipeline secret inside a `run.env` value: `${{ secrets.NAME }}`. */
const SECRET_REF = /\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The `run` step kind: a local command on the runner, argv only (no shell), in its own process group. */
export const runHandler: StepHandler<RunStep> = {
  async plan(_ctx: StepContext, step: RunStep): Promise<Change[]> {
    const env = Object.keys(step.run.env);
    const detail = [
      `cwd: ${step.run.cwd ?? '.'}`,
      ...(env.length ? [`env: ${env.sort().join(', ')}`] : []),
      // The env values are part of what runs, so they are part of what is approved; secrets stay references.
      ...Object.entries(step.run.env).map(([k, v]) => `  ${k}=${v}`),
    ].join('\n');
    return [{ action: 'run', subject: shellQuote(step.run.command), detail }];
  },

  async apply(ctx: StepContext, step: RunStep): Promise<StepResult> {
    ctx.signal.throwIfAborted();
    const [file, ...args] = step.run.command as [string, ...string[]];
    const child = execa(file, args, {
      cwd: resolve(ctx.workdir, step.run.cwd ?? '.'),
      env: childEnv(step.run.env, ctx.secret),
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
    });
    ctx.trackProcessGroup?.(child.pid);
    const pgid = child.pid;
    const stop = () => {
      if (pgid !== undefined) void stopGroup(pgid, ['SIGTERM', 'SIGKILL'], KILL_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', stop, { once: true });
    // Whatever the command left running in its group (daemons, `cmd &`) ends with it; this also closes
    // the output pipes such leftovers would hold open.
    child.nodeChildProcess.on('exit', stop);
    pipeLines(child.stdout, (line) => ctx.log(line, { stream: 'stdout' }));
    pipeLines(child.stderr, (line) => ctx.log(line, { stream: 'stderr' }));
    try {
      const result = await child;
      ctx.signal.throwIfAborted();
      if (result.failed) {
        throw new Error(
          result.exitCode !== undefined
            ? `${file} exited with code ${result.exitCode}`
            : `${file} ${result.signal ? `was killed by ${result.signal}` : `failed: ${result.shortMessage}`}`,
        );
      }
      return { changed: true };
    } finally {
      ctx.signal.removeEventListener('abort', stop);
      ctx.trackProcessGroup?.(undefined);
    }
  },
};

/**
 * What a command inherits from the runner: only these. Everything else (Slipway's own SLIPWAY_* settings,
 * its webhook secret and forge token, CI's ACTIONS_* and GITHUB_TOKEN, secrets' source variables) stays out.
 */
const INHERITED = ['PATH', 'HOME', 'LANG'] as const;

/** The minimal inherited environment plus the step's env, its `${{ secrets.NAME }}` references resolved. */
export function childEnv(
  stepEnv: Readonly<Record<string, string>>,
  secret: (name: string) => string,
  runner: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED) if (runner[k] !== undefined) env[k] = runner[k];
  for (const [k, v] of Object.entries(stepEnv))
    env[k] = v.replace(SECRET_REF, (_m, name: string) => secret(name));
  return env;
}

function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  const lines = new LineSplitter();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    for (const l of lines.push(chunk)) onLine(l);
  });
  stream.on('end', () => {
    for (const l of lines.end()) onLine(l);
  });
}
