import { userInfo } from 'node:os';
import type { Project } from '../config/schema/project.ts';
import type { Actor } from './policy.ts';

/** The CLI's actor: the local OS account, mapped to a login through slipway.yml `operators`. */
export function cliActor(project: Project, account = userInfo().username): Actor & { channel: 'cli' } {
  return { login: project.operators[account], account, channel: 'cli' };
}

/** How an actor is named in records: the login, else the unmapped account. */
export function actorName(actor: Actor): string {
  return actor.login ?? `${actor.account ?? 'unknown'} (unmapped)`;
}
