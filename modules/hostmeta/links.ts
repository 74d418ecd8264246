// The alternative connection methods of XEP-0156 §3 (XRD and JRD), with the endpoint URLs.
import { escapeXmlText } from './escape.js';

export const REL_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';
export const REL_BOSH = 'urn:xmpp:alt-connections:xbosh';
const NS_XRD = 'http://docs.oasis-open.org/ns/xri/xrd-1.0';

export interface Link {
  rel: string;
  href: string;
}

export function xrd(links: readonly Link[]): string {
  const body = links.map((l) => `  <Link rel='${escapeXmlText(l.rel)}' href='${escapeXmlText(l.href)}'/>\n`).join('');
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='${NS_XRD}'>\n${body}</XRD>\n`;
}

export function jrd(links: readonly Link[]): string {
  return `${JSON.stringify({ links: links.map((l) => ({ rel: l.rel, href: l.href })) }, null, 2)}\n`;
}
