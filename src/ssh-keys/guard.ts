import type { PublicKey } from '../config/types.ts';
import type { Account } from './desired.ts';

/** Who Slipway logs in as on a host, with which key, and (for a rotation) the key it will use next. */
export interface RunnerLogin {
  user: string;
  key: PublicKey;
  /** Public half of `slipway_next_private_key_file`, when the inventory names one. */
  next?: PublicKey;
}

/** The accounts after the lock-out guard, and what it decided. */
export interface Guarded {
  accounts: Account[];
  /** The runner's key, not listed for its user, stays (a rotation was not asked for). */
  kept: boolean;
  /** The runner's key goes: a fresh login with `next` must work before it is removed. */
  rotating: boolean;
}

/**
 * The lock-out guard: the key Slipway connects with stays in its user's authorized_keys unless
 * `rotate` is set, and a rotation needs the next key (one Slipway holds) listed for that user.
 */
export function guardRunnerKey(
  accounts: readonly Account[],
  runner: RunnerLogin,
  rotate: boolean,
  host: string,
): Guarded {
  const own = accounts.find((a) => a.name === runner.user);
  // An account the access file does not manage is left alone, so the runner's access is too.
  if (!own || own.keys.some((k) => k.base64 === runner.key.base64))
    return { accounts: [...accounts], kept: false, rotating: false };
  if (!rotate) {
    return {
      accounts: accounts.map((a) => (a === own ? { ...a, keys: [...a.keys, runner.key] } : a)),
      kept: true,
      rotating: false,
    };
  }
  if (!runner.next) {
    throw new Error(
      `${host}: rotate_runner_key removes the key Slipway logs in with as ${runner.user} ` +
        `(${runner.key.fingerprint}); set slipway_next_private_key_file in the inventory to the private key ` +
        'of a key listed for that user, so a login with it is proven before the old key goes',
    );
  }
  const next = runner.next;
  if (!own.keys.some((k) => k.base64 === next.base64)) {
    throw new Error(
      `${host}: slipway_next_private_key_file (${next.fingerprint}) is not among the keys infra/access.yml ` +
        `lists for ${runner.user}: after the rotation Slipway could not log in`,
    );
  }
  return { accounts: [...accounts], kept: false, rotating: true };
}
