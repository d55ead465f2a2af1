import { Octokit } from 'octokit';

/** How to reach a forge's REST API. */
export interface ForgeConnection {
  /** API base: `https://api.github.com`, a GHES `/api/v3` URL, or a Gitea server URL (without `/api/v1`). */
  url: string;
  token: string;
  /**
   * Off in tests: the retry plugin turns an unhandled (mocked) request into retried 500s and the
   * throttling plugin queues requests, which hides the real failure.
   */
  resilient?: boolean;
}

/** An Octokit on `baseUrl` with token auth (`token <t>`, which GitHub and Gitea both accept). */
export function createOctokit(baseUrl: string, token: string, resilient = true): Octokit {
  return new Octokit({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    auth: token,
    userAgent: 'slipway',
    retry: { enabled: resilient },
    throttle: resilient
      ? {
          // One retry after the forge's own Retry-After; past that the caller sees the error.
          onRateLimit: (_after: number, _opts: object, _o: Octokit, retryCount: number) => retryCount < 1,
          onSecondaryRateLimit: (_after: number, _opts: object, _o: Octokit, retryCount: number) =>
            retryCount < 1,
        }
      : { enabled: false },
  });
}
