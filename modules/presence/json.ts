// Stanzas kept in storage (pending subscription requests, the last unavailable presence) as plain
// JSON trees, rebuilt with the checked element builder: no XML parser runs on stored data.
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';

export interface JsonElement {
  n: string;
  a: Record<string, string>;
  c: (JsonElement | string)[];
}

export function toJson(e: Element): JsonElement {
  return {
    n: e.name,
    a: { ...e.attrs } as Record<string, string>,
    c: e.children.map((c) => (typeof c === 'string' ? c : toJson(c))),
  };
}

/** Rebuilds an element; returns null for anything that is not a well-formed tree (a damaged row). */
export function fromJson(j: unknown, depth = 0): Element | null {
  if (depth > 64 || !j || typeof j !== 'object') return null;
  const { n, a, c } = j as Partial<JsonElement>;
  if (typeof n !== 'string' || !a || typeof a !== 'object' || !Array.isArray(c)) return null;
  try {
    const children: (Element | string)[] = [];
    for (const child of c) {
      if (typeof child === 'string') children.push(child);
      else {
        const e = fromJson(child, depth + 1);
        if (!e) return null;
        children.push(e);
      }
    }
    return el(n, a, ...children);
  } catch {
    return null;   // text that XML cannot carry
  }
}

/** Serialised size, to keep stored stanzas small. */
export function jsonSize(j: JsonElement): number {
  return JSON.stringify(j).length;
}
