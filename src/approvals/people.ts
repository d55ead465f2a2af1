import type { IdentityChannel, People } from '../config/schema/people.ts';
import type { Project } from '../config/schema/project.ts';
import { teamMembers } from './teams.ts';

/** A login as one channel vouches for it (a verified forge login, a dashboard session, an OS account). */
export interface Identity {
  channel: IdentityChannel;
  login: string;
}

/** The person an identity belongs to in the people table, or undefined: an unmapped identity decides nothing. */
export function personOf(people: People, id: Identity): string | undefined {
  // OS accounts are case-sensitive; forge and dashboard logins are not.
  const same = (a: string) =>
    id.channel === 'os' ? a === id.login : a.toLowerCase() === id.login.toLowerCase();
  for (const [name, p] of Object.entries(people)) {
    const logins = id.channel === 'os' ? p.os : p[id.channel] === undefined ? [] : [p[id.channel]!];
    if (logins.some(same)) return name;
  }
  return undefined;
}

/**
 * Why `id` may not start a run from a channel that names its persons (the dashboard): it maps to no person
 * in the people table of the policy in force (never added, or offboarded since). Undefined when it may.
 */
export function starterRefusal(people: People, id: Identity): string | undefined {
  if (personOf(people, id)) return undefined;
  return (
    `${identityText(id)} is not mapped to a person (add it under people in slipway.yml on the default branch): ` +
    'only people start runs'
  );
}

/** Every name a person goes by: the person's name and each of their logins, lower-cased. */
export function namesOf(people: People, person: string): Set<string> {
  const p = people[person];
  const all = [person, p?.github, p?.gitea, p?.dashboard, ...(p?.os ?? [])];
  return new Set(all.filter((v) => v !== undefined).map((v) => v.toLowerCase()));
}

/** How an identity is written in records: `github:alice-gh`, `os:root`. */
export function identityText(id: Identity): string {
  return `${id.channel}:${id.login}`;
}

/** The identity written by `identityText`, or undefined for text of another shape (runs stored before). */
export function parseIdentity(text: string | undefined): Identity | undefined {
  const m = text?.match(/^(github|gitea|dashboard|os):(.+)$/);
  return m ? { channel: m[1] as IdentityChannel, login: m[2]! } : undefined;
}

/** The persons a list of approvers names (persons, and the members of each team), each once, in order. */
export function personsNamed(project: Project, principals: readonly string[]): string[] {
  const persons = principals.flatMap((p) => (p.startsWith('@') ? teamMembers(project.teams, p) : [p]));
  return [...new Set(persons)].filter((p) => project.people[p] !== undefined);
}

/** What reaches those persons on one channel: their forge login or their e-mail address, where they have one. */
export function contactsOf(
  project: Project,
  principals: readonly string[],
  channel: 'github' | 'gitea' | 'email',
): string[] {
  return personsNamed(project, principals).flatMap((p) => project.people[p]![channel] ?? []);
}
