import { userInfo } from 'node:os';
import type { People } from '../config/schema/people.ts';
import { identityText, personOf } from './people.ts';
import type { Actor } from './policy.ts';

/** The CLI's actor: the local OS account and its uid; it counts through slipway.yml `people.*.os`. */
export function cliActor(account = userInfo().username, uid = process.getuid?.()): Actor {
  return {
    identity: { channel: 'os', login: account },
    channel: 'cli',
    ...(uid === undefined ? {} : { uid }),
  };
}

/** How an actor is named in records: the person with the identity the channel saw (and the OS uid). */
export function actorName(actor: Actor, people: People | undefined): string {
  const seen = `${identityText(actor.identity)}${actor.uid === undefined ? '' : `, uid ${actor.uid}`}`;
  const person = people && personOf(people, actor.identity);
  return person ? `${person} (${seen})` : `${seen} (unmapped)`;
}
