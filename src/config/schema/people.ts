import { z } from 'zod';
import { name } from './common.ts';

/** Where a person acts; each channel vouches for its own kind of login. */
export const IDENTITY_CHANNELS = ['github', 'gitea', 'dashboard', 'os'] as const;
export type IdentityChannel = (typeof IDENTITY_CHANNELS)[number];

const forgeLogin = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  message: 'expected a forge login like alice-gh',
});

/** One person's logins, one per channel (several OS accounts may belong to one person). */
export const person = z.strictObject({
  github: forgeLogin.optional().describe('GitHub login whose comments count as this person'),
  gitea: forgeLogin.optional().describe('Gitea/Forgejo login whose comments count as this person'),
  dashboard: name.optional().describe('Dashboard login (`slipway user add LOGIN`)'),
  os: z
    .array(z.string().min(1))
    .default([])
    .describe('Local OS accounts whose CLI decisions are this person'),
  email: z
    .email()
    .optional()
    .describe('Where notifications.email reaches this person (gates they decide, drift where they approve)'),
});
export type Person = z.infer<typeof person>;

/** Person name -> their logins. A login of a channel belongs to at most one person. */
export const people = z
  .record(name, person)
  .default({})
  .superRefine((all, ctx) => {
    for (const channel of IDENTITY_CHANNELS) {
      const owner = new Map<string, string>();
      for (const [who, p] of Object.entries(all)) {
        const logins = channel === 'os' ? p.os : p[channel] === undefined ? [] : [p[channel]];
        for (const login of logins) {
          const key = channel === 'os' ? login : login.toLowerCase();
          const first = owner.get(key);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [who, channel],
              message: `${channel} login ${login} already belongs to ${first}; a login maps to one person`,
            });
          }
          owner.set(key, who);
        }
      }
    }
  });
export type People = z.infer<typeof people>;
