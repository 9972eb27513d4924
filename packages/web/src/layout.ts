import { BASE_CSS, esc } from '@shewhart/report';

export type NavItem = 'overview' | 'charts' | 'alerts' | 'reports';

const NAV: { id: NavItem; href: string; label: string }[] = [
  { id: 'overview', href: '/', label: 'Overview' },
  { id: 'charts', href: '/charts', label: 'Control charts' },
  { id: 'alerts', href: '/alerts', label: 'Alerts' },
  { id: 'reports', href: '/reports', label: 'Review packs' },
];

/**
 * Content-Security-Policy of every page: nothing may load from anywhere (no script, no font, no image
 * but inline data), styles are inline, forms post only to this server.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** What only the web view's pages need beside the pack's stylesheet: long row headers wrap, compact forms. */
const WEB_CSS = `th[scope=row].wrap{white-space:normal;min-width:16rem;max-width:28rem}
td.nowrap{white-space:nowrap}
form.ack{display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:end;margin:0}
form.ack label{display:flex;flex-direction:column;font-size:.8rem;font-weight:600}
`;

export interface PageOptions {
  title: string;
  nav?: NavItem;
  /** Hide the alerts link when alerts are not part of this deployment. */
  alerts?: boolean;
  /** Show a sign-out button (a browser token is in use). */
  signedIn?: boolean;
}

/** One page of the web view: inline CSS, no script, a skip link, landmarks and one h1. */
export function page(options: PageOptions, body: string): string {
  const items = NAV.filter((n) => n.id !== 'alerts' || options.alerts !== false)
    .map(
      (n) =>
        `<li><a href="${n.href}"${n.id === options.nav ? ' aria-current="page"' : ''}>${n.label}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)} · Shewhart</title>
<style>${BASE_CSS}${WEB_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">Shewhart</a>
<nav aria-label="Main"><ul>${items}</ul></nav>
${options.signedIn ? '<form class="inline" method="post" action="/logout"><button type="submit">Sign out</button></form>' : ''}
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

/** A link to a chart page of the web view for a series. */
export function chartHref(s: {
  kpi: string;
  team?: string | null;
  project?: string | null;
  period?: string;
  dim?: string;
  dimName?: string;
}): string {
  const q = new URLSearchParams({ kpi: s.kpi });
  if (s.period) q.set('period', s.period);
  if (s.team) q.set('team', s.team);
  if (s.project) q.set('project', s.project);
  if (s.dim && s.dimName) q.set(s.dimName, s.dim);
  return `/charts?${q.toString()}`;
}

export function scopeLabel(team: string | null | undefined, project?: string | null): string {
  return team ? `${team}${project ? ` / ${project}` : ''}` : 'organisation';
}

/** An error page (the status and message come from the API's one error map). */
export function errorPage(
  e: { status: number; kind: string; message: string },
  options: { loginNext?: string } = {},
): string {
  const login =
    e.status === 401 && options.loginNext !== undefined
      ? loginForm(options.loginNext, e.message)
      : `<p>${esc(e.message)}</p><p><a href="/">Back to the overview</a></p>`;
  return page(
    { title: e.status === 401 ? 'Sign in' : `Error ${e.status}` },
    `<h1>${e.status === 401 ? 'Sign in' : `${e.status}: ${esc(e.kind.replace(/_/g, ' '))}`}</h1>\n${login}`,
  );
}

/** The sign-in form: the browser keeps the token in an HttpOnly, SameSite=Strict cookie. */
export function loginForm(next: string, message?: string): string {
  return `${message ? `<p class="note" role="alert">${esc(message)}</p>` : ''}
<p>This server requires a token. Paste a <strong>read</strong> token (or a <strong>decide</strong> token to acknowledge alerts and record review actions). The browser keeps it in a cookie for this site only.</p>
<form class="stack" method="post" action="/login">
<input type="hidden" name="next" value="${esc(next)}">
<label for="token">Token<input id="token" name="token" type="password" autocomplete="current-password" required size="48"></label>
<p><button type="submit">Sign in</button></p>
</form>`;
}
