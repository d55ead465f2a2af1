import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { PolicyError, type PolicyTrees } from '../approvals/policy-source.ts';
import { type TrustedPolicy, trustedPolicyOf } from '../approvals/trusted-policy.ts';
import { formatConfigError, type LoadOptions, loadRepo } from '../config/load-repo.ts';
import { type Checkouts, writeCommitTree } from './checkout.ts';

/**
 * The local default branch of the checkout at `root`: `ref` when given (`--policy-ref`, SLIPWAY_POLICY_REF),
 * else origin/HEAD's target, else main, else master. Trees are written under `treeRoot/<sha>`.
 */
export function localPolicySource(
  root: string,
  treeRoot: string,
  ref: string | undefined,
  load: LoadOptions = {},
): PolicyTrees {
  const gitDir = async (signal?: AbortSignal) =>
    (
      await execa('git', ['-C', root, 'rev-parse', '--path-format=absolute', '--git-common-dir'], {
        cancelSignal: signal,
      })
    ).stdout.trim();
  const cache = policyCache(load);
  const at = async (name: string, sha: string, signal?: AbortSignal) => {
    const git = await gitDir(signal);
    const dir = join(treeRoot, sha);
    if (!existsSync(dir)) await writeCommitTree(git, sha, dir, signal);
    return cache(git, dir, name, sha);
  };
  return {
    async current(signal) {
      const { name, sha } = await localPolicyRef(root, ref, signal);
      return at(name, sha, signal);
    },
    at,
  };
}

/** How long one answer of the origin stands for bursts (100 deliveries of one push ask once, not 100 times). */
const REMOTE_ANSWER_MS = 1_000;

/**
 * The fetched origin's default branch (`git ls-remote --symref URL HEAD`) at the time of asking; answers
 * are shared by callers within REMOTE_ANSWER_MS of each other.
 */
export function remotePolicySource(checkouts: Checkouts, url: string, load: LoadOptions = {}): PolicyTrees {
  const cache = policyCache(load);
  const at = async (ref: string, sha: string, signal?: AbortSignal) =>
    cache(checkouts.gitDir, await checkouts.at(url, ref, sha, signal), ref, sha);
  let last: { at: number; policy: Promise<TrustedPolicy> } | undefined;
  const ask = async (): Promise<TrustedPolicy> => {
    const { stdout } = await execa('git', ['ls-remote', '--symref', '--', url, 'HEAD']);
    const ref = stdout.match(/^ref: (refs\/heads\/\S+)\tHEAD$/m)?.[1];
    const sha = stdout.match(/^([0-9a-f]{40,64})\tHEAD$/m)?.[1];
    if (!ref || !sha) throw new PolicyError(`${url} names no default branch (git ls-remote --symref HEAD)`);
    return at(ref, sha);
  };
  return {
    current() {
      if (!last || Date.now() - last.at > REMOTE_ANSWER_MS) {
        const policy = ask();
        last = { at: Date.now(), policy };
        policy.catch(() => {
          if (last?.policy === policy) last = undefined;
        });
      }
      return last.policy;
    },
    at,
  };
}

/** The ref the CLI reads policy from and its commit; says what to do when none of the candidates exists. */
export async function localPolicyRef(
  root: string,
  explicit: string | undefined,
  signal?: AbortSignal,
): Promise<{ name: string; sha: string }> {
  const git = (...args: string[]) =>
    execa('git', ['-C', root, ...args], { reject: false, cancelSignal: signal }).then((r) =>
      r.exitCode === 0 ? r.stdout.trim() : undefined,
    );
  const originHead = await git('symbolic-ref', '-q', 'refs/remotes/origin/HEAD');
  const candidates = explicit ? [explicit] : [originHead, 'refs/heads/main', 'refs/heads/master'];
  for (const name of candidates) {
    if (!name) continue;
    const sha = await git('rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`);
    if (sha) return { name, sha };
  }
  throw new PolicyError(
    explicit
      ? `policy ref ${explicit} is not a commit in ${root}`
      : `no policy ref in ${root}: none of origin/HEAD, main, master exists; ` +
          'gates, environments and people are read from the default branch: pass --policy-ref REF or set SLIPWAY_POLICY_REF',
  );
}

/** Loads a policy tree once per commit, with the commit's author (who proposed a change of policy). */
function policyCache(load: LoadOptions) {
  const loaded = new Map<string, Promise<TrustedPolicy>>();
  return (gitDir: string, dir: string, ref: string, sha: string): Promise<TrustedPolicy> => {
    let p = loaded.get(sha);
    if (!p || !existsSync(dir)) {
      p = Promise.all([loadRepo(dir, load), commitAuthor(gitDir, sha)]).then(([r, author]) => {
        if (r.ok) return { ...trustedPolicyOf(r.repo, ref, sha), author };
        const errors = r.errors.slice(0, 5).map(formatConfigError).join('; ');
        throw new PolicyError(`the policy on ${ref} (${sha.slice(0, 12)}) is invalid: ${errors}`);
      });
      loaded.set(sha, p);
      p.catch(() => loaded.delete(sha));
      if (loaded.size > 8) loaded.delete(loaded.keys().next().value!);
    }
    return p;
  };
}

async function commitAuthor(gitDir: string, sha: string): Promise<TrustedPolicy['author']> {
  const { stdout } = await execa('git', ['--git-dir', gitDir, 'log', '-1', '--format=%an%n%ae', sha]);
  const [name, email] = stdout.split('\n');
  return { name, email };
}
