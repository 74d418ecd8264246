// @xmpp/client ships no typings; the tests use a small part of it.
declare module '@xmpp/client' {
  import type { Element } from 'ltx';
  export interface XmppClient {
    jid: { toString(): string; resource: string } | null;
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    on(event: 'stanza', fn: (el: Element) => void): void;
    on(event: 'error' | 'offline' | 'online' | 'status', fn: (arg: any) => void): void;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element>; get(el: Element, to?: string, timeout?: number): Promise<Element> };
    reconnect: { stop(): void };
  }
  export function client(options: Record<string, unknown>): XmppClient;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: unknown[]): Element;
}
