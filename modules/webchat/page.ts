// The web chat page and its start-up script. The script is a separate file so that the page's CSP can forbid inline
// scripts; it computes the WebSocket URL from the page's own address (ws: for http, wss: for https).
import { escapeHtml } from './escape.js';

export interface PageConfig {
  /** The page's path, e.g. /chat. */
  base: string;
  title: string;
  /** The XMPP domain users log in to. */
  domain: string;
  websocketPath: string;
  /** Converse.js settings given by the operator, merged over ours. */
  converse: Record<string, unknown>;
}

export function pageHtml(c: PageConfig): string {
  const base = escapeHtml(c.base);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(c.title)}</title>
<link rel="icon" href="${base}/dist/images/favicon.ico">
<link rel="stylesheet" href="${base}/dist/converse.min.css">
<script src="${base}/dist/converse.min.js" defer></script>
<script src="${base}/init.js" defer></script>
</head>
<body class="converse-fullscreen">
<noscript><p>This chat needs JavaScript. Any XMPP client works too: log in as you@${escapeHtml(c.domain)}.</p></noscript>
</body>
</html>
`;
}

/** JSON that is safe inside a script (no "</script>", no line separators that end a JS string). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function initScript(c: PageConfig): string {
  const settings = {
    assets_path: `${c.base}/dist/`,
    authentication: 'login',
    auto_login: false,
    // The endpoint is known: no XEP-0156 lookup, no BOSH.
    discover_connection_methods: false,
    default_domain: c.domain,
    view_mode: 'fullscreen',
    i18n: 'en',
    loglevel: 'warn',
    allow_registration: false,
    // A single server of people who know each other: chats may start without a roster subscription first.
    allow_non_roster_messaging: true,
    play_sounds: false,
    show_connection_url_input: false,
    ...c.converse,
  };
  return `'use strict';
(function () {
  var settings = ${scriptJson(settings)};
  if (!settings.websocket_url) {
    var url = new URL(${scriptJson(c.websocketPath)}, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    settings.websocket_url = url.href;
  }
  window.converse.initialize(settings);
})();
`;
}
