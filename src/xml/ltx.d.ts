// Typings for the parts of ltx 3 that Starling uses (ltx ships none).
// Only the element model and serialiser: ltx's own parser is never used on input (ARCHITECTURE.md §B1).
declare module 'ltx' {
  export type Node = Element | string;
  export type Attrs = Record<string, string | number | undefined | null>;

  export class Element {
    constructor(name: string, attrs?: Attrs);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    getText(): string;
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Attrs): Element;
    cnode<T extends Node>(child: T): T;
    append(...nodes: Node[]): Element;
    prepend(...nodes: Node[]): Element;
    t(text: string): Element;
    remove(el: Element | string, xmlns?: string): Element;
    text(val?: string): string;
    attr(name: string, val?: string): string | Element;
    toString(): string;
    write(writer: (chunk: string) => void): void;
  }

  export function createElement(name: string, attrs?: Attrs | null, ...children: unknown[]): Element;
  export function clone<T extends Node>(el: T): T;
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXML(s: string): string;
  export function equal(a: Element, b: Element): boolean;
  export function isElement(x: unknown): x is Element;
  export function isText(x: unknown): x is string;
}
