import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaddyAdmin } from '../../src/caddy/admin-client.ts';
import { adminBlock } from '../../src/caddy/render.ts';
import { freePort } from './free-port.ts';

/** A real Caddy (the system's /usr/bin/caddy) run by a test, admin API on a unix socket in a temp dir. */
export interface LocalCaddy {
  dir: string;
  socket: string;
  ports: { http: number; https: number };
  admin: CaddyAdmin;
  /** Stops Caddy and starts it again with `--resume`, as the role's service does. */
  restart(): Promise<void>;
  /** Stops Caddy and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a local Caddy with an empty persisted config; call `stop()` in afterAll/finally. */
export async function startLocalCaddy(): Promise<LocalCaddy> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-caddy-'));
  const socket = join(dir, 'admin.sock');
  const ports = { http: await freePort(), https: await freePort() };
  const bootstrap = join(dir, 'bootstrap.json');
  await writeFile(bootstrap, JSON.stringify({ admin: adminBlock(socket) }));
  const admin = new CaddyAdmin(socket, { timeoutMs: 30_000 });
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    log = '';
    child = spawn('caddy', ['run', '--resume', '--config', bootstrap], {
      // Caddy keeps autosave.json and certificates under XDG dirs: keep them inside the temp dir.
      env: {
        ...process.env,
        HOME: dir,
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_DATA_HOME: join(dir, 'data'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-8_000);
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`caddy exited ${child.exitCode}:\n${log}`);
      try {
        await admin.get('/config/admin');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`caddy admin API did not come up: ${err}\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const halt = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (err) {
    await halt();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    socket,
    ports,
    admin,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
