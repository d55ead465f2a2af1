// Sends `slipway serve` a push webhook as GitHub sends one from an app repository: a push of SHA to BRANCH of
// REPOSITORY (owner/name) to /webhooks/github/apps, signed (X-Hub-Signature-256) with SLIPWAY_APP_WEBHOOK_SECRET;
// prints serve's answer. For the demo
// (scripts/demo-app-repo.sh): node scripts/demo-push.ts URL REPOSITORY SHA [BRANCH]
import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signBody } from '../src/triggers/verify-signature.ts';

const [url, repository, sha, branch = 'main'] = process.argv.slice(2);
const secret = process.env.SLIPWAY_APP_WEBHOOK_SECRET;
if (!url || !repository || !sha || !secret) {
  throw new Error(
    `expected URL REPOSITORY SHA [BRANCH] and SLIPWAY_APP_WEBHOOK_SECRET, got ${JSON.stringify(process.argv.slice(2))}`,
  );
}
const commit = {
  id: sha,
  message: 'a push of the demo',
  author: { name: 'Alice', email: 'alice@example.test', username: 'alice-gh' },
  added: [],
  removed: [],
  modified: ['.slipway/pipeline.yml'],
};
const body = JSON.stringify({
  ref: `refs/heads/${branch}`,
  before: '0'.repeat(40),
  after: sha,
  created: true,
  deleted: false,
  commits: [commit],
  head_commit: commit,
  repository: { full_name: repository, clone_url: `https://github.example.test/${repository}.git` },
  pusher: { name: 'alice-gh', email: 'alice@example.test' },
  sender: { login: 'alice-gh' },
});
const res = await fetch(`${url}/webhooks/github/apps`, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomUUID(),
    [SIGNATURE_HEADER.github]: signBody(body, secret, 'github'),
  },
  body,
});
console.log(
  `push of ${repository} ${sha.slice(0, 7)} (${branch}): serve answered ${res.status} ${await res.text()}`,
);
if (!res.ok) process.exitCode = 1;
