// The content filter: whole words and regular expressions, compiled once, tested against message bodies.
import type { FilterOptions } from './options.js';

export interface CompiledFilter {
  matches(text: string): boolean;
  readonly action: 'reject' | 'drop';
  readonly text: string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileFilter(o: FilterOptions): CompiledFilter | null {
  const parts: RegExp[] = [];
  if (o.words.length) parts.push(new RegExp(`(?<![\\p{L}\\p{N}_])(?:${o.words.map(escape).join('|')})(?![\\p{L}\\p{N}_])`, 'iu'));
  for (const p of o.patterns) parts.push(new RegExp(p, 'iu'));
  if (parts.length === 0) return null;
  return { matches: (text) => parts.some((re) => re.test(text)), action: o.action, text: o.text };
}
