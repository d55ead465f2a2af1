import type { SandboxFixture } from './sandbox.ts';

/** Stops the Caddy that roles/caddy started on a sandbox host (no systemd there: start-stop-daemon's pidfile). */
export async function stopRoleCaddy(sb: SandboxFixture, host: string): Promise<void> {
  await sb.exec(host, [
    'start-stop-daemon',
    '--stop',
    '--retry',
    '5',
    '--oknodo',
    '--pidfile',
    '/run/caddy/caddy.pid',
  ]);
}

/** Stops the role's Caddy and forgets its persisted config, as if the host never had one. */
export async function resetRoleCaddy(sb: SandboxFixture, host: string): Promise<void> {
  await stopRoleCaddy(sb, host);
  await sb.exec(host, ['rm', '-f', '/var/lib/caddy/.config/caddy/autosave.json']);
}
