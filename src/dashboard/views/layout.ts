import { type Html, html } from './html.ts';

/** Who is looking, for the header and for forms. */
export interface Viewer {
  login: string;
  csrf: string;
}

const NAV = [
  ['/', 'Runs'],
  ['/approvals', 'Approvals'],
  ['/environments', 'Environments'],
  ['/releases', 'Releases'],
  ['/audit', 'Audit'],
] as const;

/** The hidden field every POST form carries. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** A whole page: header with navigation and the sign-out form, then `body`. */
export function page(opts: {
  title: string;
  viewer?: Viewer;
  active?: string;
  body: Html;
  script?: boolean;
}): Html {
  const { viewer } = opts;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${opts.title} · Slipway</title><link rel="stylesheet" href="/assets/app.css"><link rel="icon" href="/assets/icon.svg">${opts.script ? html`<script src="/assets/live.js" defer></script>` : ''}</head>
<body><header><a class="brand" href="/">Slipway</a>${
    viewer
      ? html`<nav>${NAV.map(([href, label]) => html`<a href="${href}"${opts.active === href ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<form method="post" action="/signout" class="who">${csrfField(viewer)}<span class="login">${viewer.login}</span> <button>Sign out</button></form>`
      : ''
  }</header>
<main>${opts.body}</main></body></html>`;
}
