import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { serializeCookie } from './auth/cookies.ts';
import {
  CSRF_FIELD,
  csrfTokenValid,
  issueSigninCsrf,
  SIGNIN_CSRF_COOKIE,
  sameOrigin,
  signinCsrfValid,
} from './auth/csrf.ts';
import {
  endSession,
  readSession,
  type SessionRecord,
  type SessionStore,
  startSession,
} from './auth/sessions.ts';
import { siteOf } from './auth/site.ts';
import { hashToken } from './auth/tokens.ts';
import type { ActionResult, DashboardData } from './data.ts';
import { RequestError, readForm, redirect, SECURITY_HEADERS, safeLocalPath, sendHtml } from './http.ts';
import { RefusalThrottle } from './refusal-throttle.ts';
import { followRun } from './sse.ts';
import { environmentPage, environmentsPage } from './views/environment.ts';
import type { Viewer } from './views/layout.ts';
import type { RunFilter } from './views/model.ts';
import { approvalsPage, auditPage, errorPage, releasesPage, signinPage } from './views/pages.ts';
import { runLive, runPage } from './views/run.ts';
import { runsPage } from './views/runs.ts';

/** Users and sessions as the dashboard needs them; implemented by src/store/users.ts. */
export interface UserDirectory extends SessionStore {
  /** The user whose token hashes to `tokenHash`, if any. */
  userByTokenHash(tokenHash: string): { login: string } | undefined;
}

/** What the dashboard is built from. */
export interface DashboardOptions {
  users: UserDirectory;
  data: DashboardData;
  /** Origin the pages are served from when behind a proxy (e.g. `https://ci.example.com`); else loopback only. */
  publicOrigin?: string;
  /** How often a live log stream looks for new lines and state changes. */
  pollMs?: number;
  now?: () => number;
}

/** A mounted dashboard: `handle` answers any request the server routes nowhere else (mount it last); `close` ends live streams. */
export interface Dashboard {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): void;
}

// 50 rows keep first paint of the runs page low in the browser (paint time grows with the table, not the store).
const PAGE_SIZE = 50;

/** What a POST asks for, read from its path before any check, so even a refusal is audited against its run. */
type PostAction =
  | { kind: 'signout' }
  | { kind: 'decide'; runId: string; job: string; decision: 'approve' | 'reject' }
  | { kind: 'rollback'; env: string; app: string }
  | { kind: 'rerun'; runId: string }
  | { kind: 'redeploy'; env: string; app: string }
  | { kind: 'run'; env: string }
  | { kind: 'unknown'; path: string };

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function postAction(path: string): PostAction {
  if (path === '/signout') return { kind: 'signout' };
  const gate = /^\/runs\/([^/]+)\/jobs\/([^/]+)\/(approve|reject)$/.exec(path);
  const [runId, job] = gate ? [decodeSegment(gate[1]!), decodeSegment(gate[2]!)] : [];
  if (gate && runId && job) return { kind: 'decide', runId, job, decision: gate[3] as 'approve' | 'reject' };
  const start =
    /^\/releases\/([^/]+)\/([^/]+)\/(rollback)$/.exec(path) ??
    /^\/environments\/([^/]+)\/apps\/([^/]+)\/(rollback|redeploy)$/.exec(path);
  const [env, app] = start ? [decodeSegment(start[1]!), decodeSegment(start[2]!)] : [];
  if (env && app) return { kind: start![3] as 'rollback' | 'redeploy', env, app };
  const run = /^\/environments\/([^/]+)\/run$/.exec(path);
  const runEnv = run && decodeSegment(run[1]!);
  if (runEnv) return { kind: 'run', env: runEnv };
  const rerun = /^\/runs\/([^/]+)\/rerun$/.exec(path);
  const rerunOf = rerun && decodeSegment(rerun[1]!);
  if (rerunOf) return { kind: 'rerun', runId: rerunOf };
  return { kind: 'unknown', path };
}

function auditTarget(a: PostAction): { action: string; target: string; runId?: string; job?: string } {
  switch (a.kind) {
    case 'decide':
      return { action: a.decision, target: `run ${a.runId} / ${a.job}`, runId: a.runId, job: a.job };
    case 'rollback':
    case 'redeploy':
      return { action: a.kind, target: `${a.app} in ${a.env}` };
    case 'rerun':
      return { action: 'rerun', target: `run ${a.runId}`, runId: a.runId };
    case 'run':
      return { action: 'run', target: `a pipeline in ${a.env}` };
    case 'signout':
      return { action: 'signout', target: 'dashboard' };
    case 'unknown':
      return { action: 'post', target: a.path };
  }
}
const LOG_TAIL = 1000;

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  '/assets/app.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(new URL('./assets/app.css', import.meta.url)),
  },
  '/assets/icon.svg': {
    type: 'image/svg+xml',
    body: readFileSync(new URL('./assets/icon.svg', import.meta.url)),
  },
  '/assets/live.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(new URL('./assets/live.js', import.meta.url)),
  },
};

function isTls(req: IncomingMessage): boolean {
  return req.socket instanceof TLSSocket;
}

/** Builds the dashboard's request handler. */
export function createDashboard(opts: DashboardOptions): Dashboard {
  const { users, data } = opts;
  const now = opts.now ?? Date.now;
  const streams = new Set<ServerResponse>();
  // Bounds audit rows for refusals of requests without a session (60 a minute).
  const throttle = new RefusalThrottle();

  const site = siteOf(opts.publicOrigin);
  const fromHere = (req: IncomingMessage) => sameOrigin(req.headers, (o) => site.originAllowed(o, req));
  const secureCookies = (req: IncomingMessage) =>
    isTls(req) || (opts.publicOrigin?.startsWith('https:') ?? false);
  const viewerOf = (s: SessionRecord): Viewer => ({ login: s.login, csrf: s.csrf });

  function refuse(res: ServerResponse, viewer: Viewer | undefined, status: number, message: string) {
    sendHtml(res, status, errorPage(viewer, status === 403 ? 'Refused' : 'Bad request', message));
  }

  /** Audits a refusal of a request without a session, within the throttle's bounds. */
  function auditAnonymous(entry: {
    action: string;
    target: string;
    detail: string;
    runId?: string;
    job?: string;
  }) {
    const admitted = throttle.admit(now());
    if (!admitted) return;
    const more = admitted.unrecorded ? ` (after ${admitted.unrecorded} similar refusals not recorded)` : '';
    data.auditRefusal({ ...entry, actor: 'anonymous', detail: entry.detail + more });
  }

  async function signin(req: IncomingMessage, res: ServerResponse) {
    const secure = secureCookies(req);
    const form = await readForm(req);
    const next = safeLocalPath(form.get('next'));
    if (!fromHere(req) || !signinCsrfValid(req.headers.cookie, form.get(CSRF_FIELD) ?? undefined)) {
      auditAnonymous({ action: 'signin', target: 'dashboard', detail: 'bad origin or CSRF token' });
      return refuse(
        res,
        undefined,
        403,
        'The sign-in form expired or did not come from this site. Reload and try again.',
      );
    }
    const user = users.userByTokenHash(hashToken(form.get('token') ?? ''));
    if (!user) {
      auditAnonymous({ action: 'signin', target: 'dashboard', detail: 'unknown token' });
      const csrf = issueSigninCsrf(secure, req.headers.cookie);
      return sendHtml(res, 401, signinPage({ csrf: csrf.token, error: 'Unknown token.', next }), {
        'set-cookie': csrf.setCookie,
      });
    }
    const started = startSession(users, user.login, { secure, now: now() });
    redirect(res, next, {
      'set-cookie': [started.setCookie, serializeCookie(SIGNIN_CSRF_COOKIE, '', { secure, maxAge: 0 })],
    });
  }

  /** Checks a POST of a signed-in session: same origin and the session's token; audits a refusal. */
  async function checkedForm(req: IncomingMessage, session: SessionRecord, action: PostAction) {
    const form = await readForm(req);
    if (!fromHere(req) || !csrfTokenValid(session.csrf, form.get(CSRF_FIELD) ?? undefined)) {
      data.auditRefusal({ ...auditTarget(action), actor: session.login, detail: 'bad origin or CSRF token' });
      return undefined;
    }
    return form;
  }

  /** After a start: to the new run's page (else `fallback`), or a refusal saying why (the policy, the engine). */
  function started(res: ServerResponse, viewer: Viewer, result: ActionResult, fallback = '/') {
    if (!result.ok) return refuse(res, viewer, 403, result.reason);
    return redirect(res, result.runId ? `/runs/${encodeURIComponent(result.runId)}` : fallback);
  }

  async function post(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    session: SessionRecord | undefined,
  ) {
    if (path === '/signin') return signin(req, res);
    const action = postAction(path);
    if (!session) {
      auditAnonymous({ ...auditTarget(action), detail: 'not signed in' });
      return refuse(res, undefined, 403, 'Sign in first.');
    }
    const viewer = viewerOf(session);
    const form = await checkedForm(req, session, action);
    if (!form)
      return refuse(
        res,
        viewer,
        403,
        'This form did not come from this site, or your session changed. Reload and try again.',
      );
    switch (action.kind) {
      case 'signout':
        return redirect(res, '/signin', {
          'set-cookie': endSession(users, req.headers.cookie, secureCookies(req)),
        });
      case 'decide': {
        const { runId, job, decision } = action;
        const reason = form.get('reason')?.trim();
        if (decision === 'reject' && !reason) return refuse(res, viewer, 400, 'A rejection needs a reason.');
        const result = await data.decide({ runId, job, login: session.login, decision, reason });
        if (!result.ok) return refuse(res, viewer, 403, result.reason);
        return redirect(res, `/runs/${encodeURIComponent(runId)}`);
      }
      case 'rollback':
      case 'redeploy': {
        const start = data[action.kind];
        if (!start) break;
        return started(res, viewer, await start({ env: action.env, app: action.app, login: session.login }));
      }
      case 'run': {
        if (!data.startRun) break;
        const pipeline = form.get('pipeline')?.trim();
        if (!pipeline) return refuse(res, viewer, 400, 'Choose a pipeline to run.');
        return started(res, viewer, await data.startRun({ env: action.env, pipeline, login: session.login }));
      }
      case 'rerun': {
        if (!data.rerun) break;
        const result = await data.rerun({ runId: action.runId, login: session.login });
        return started(res, viewer, result, `/runs/${encodeURIComponent(action.runId)}`);
      }
    }
    return refuse(res, viewer, 404, 'No such action.');
  }

  async function get(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    session: SessionRecord | undefined,
  ) {
    const path = url.pathname;
    const asset = ASSETS[path];
    if (asset) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'max-age=300' });
      return res.end(asset.body);
    }
    if (path === '/signin') {
      const csrf = issueSigninCsrf(secureCookies(req), req.headers.cookie);
      return sendHtml(
        res,
        200,
        signinPage({ csrf: csrf.token, next: safeLocalPath(url.searchParams.get('next')) }),
        {
          'set-cookie': csrf.setCookie,
        },
      );
    }
    if (!session) return redirect(res, `/signin?next=${encodeURIComponent(path + url.search)}`);
    const viewer = viewerOf(session);
    if (path === '/') {
      const filter: RunFilter = {};
      for (const key of ['pipeline', 'status', 'branch', 'triggeredBy'] as const) {
        const v = url.searchParams.get(key)?.trim();
        if (v) filter[key] = v;
      }
      const before = url.searchParams.get('before') ?? undefined;
      const runs = data.listRuns(filter, PAGE_SIZE + 1, before);
      let next: string | undefined;
      if (runs.length > PAGE_SIZE) {
        runs.length = PAGE_SIZE;
        const q = new URLSearchParams(url.searchParams);
        q.set('before', runs.at(-1)!.id);
        next = `/?${q}`;
      }
      return sendHtml(
        res,
        200,
        runsPage({ viewer, runs, filter, pipelines: data.pipelines(), next, now: now() }),
      );
    }
    const run = /^\/runs\/([^/]+)(\/live|\/events)?$/.exec(path);
    if (run) {
      const runId = decodeSegment(run[1]!) ?? '';
      if (run[2] === '/events') {
        const last = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0);
        if (!data.runState(runId)) return refuse(res, viewer, 404, 'No such run.');
        return followRun({
          req,
          res,
          data,
          runId,
          after: Number.isFinite(last) ? last : 0,
          version: url.searchParams.get('version') ?? undefined,
          pollMs: opts.pollMs ?? 250,
          streams,
        });
      }
      const detail = await data.getRun(runId, session.login, run[2] ? 0 : LOG_TAIL);
      if (!detail) return sendHtml(res, 404, errorPage(viewer, 'Not found', `No run ${runId}.`));
      return sendHtml(
        res,
        200,
        run[2] ? runLive(detail, viewer, now()) : runPage({ viewer, run: detail, now: now() }),
      );
    }
    if (path === '/approvals')
      return sendHtml(res, 200, approvalsPage(viewer, await data.pendingGates(session.login)));
    if (path === '/releases')
      return sendHtml(res, 200, releasesPage(viewer, data.releases(), data.rollback !== undefined));
    if (path === '/audit') return sendHtml(res, 200, auditPage(viewer, data.audit(500)));
    if (path === '/environments') return sendHtml(res, 200, environmentsPage(viewer, data.environments()));
    const env = /^\/environments\/([^/]+)$/.exec(path);
    if (env) {
      const view = await data.environment(decodeSegment(env[1]!) ?? '', session.login);
      if (!view) return sendHtml(res, 404, errorPage(viewer, 'Not found', 'No such environment.'));
      const can = { run: !!data.startRun, redeploy: !!data.redeploy, rollback: !!data.rollback };
      return sendHtml(res, 200, environmentPage(viewer, view, can));
    }
    return sendHtml(res, 404, errorPage(viewer, 'Not found', `Nothing at ${path}.`));
  }

  return {
    async handle(req, res) {
      if (!site.hostAllowed(req)) {
        res.writeHead(421, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${site.misdirected}\n`);
        return;
      }
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      const session = readSession(users, req.headers.cookie, now());
      try {
        if (req.method === 'GET' || req.method === 'HEAD') await get(req, res, url, session);
        else if (req.method === 'POST') await post(req, res, url.pathname, session);
        else {
          res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' });
          res.end();
        }
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        refuse(res, session && viewerOf(session), 400, err.message);
      }
    },
    close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
