// A small OpenMetrics 1.0 text exposition: counters, gauges read at scrape time, histograms. Label values are
// bounded sets chosen by the code (kinds, results, hosts), never JIDs or other user-controlled strings.
export type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  return String(n);
}

interface Family { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; render(): string[] }

/** One label set of a counter, bound once: inc() on the hot path does no label formatting or lookup. */
export interface BoundCounter {
  inc(by?: number): void;
}

export class Counter {
  #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string) {}
  inc(labels: Labels = {}, by = 1): void {
    this.#series(labels).value += by;
  }
  /** The series of `labels`, for code that counts the same label set on every stanza. */
  child(labels: Labels): BoundCounter {
    const s = this.#series(labels);
    return { inc: (by = 1) => { s.value += by; } };
  }
  #series(labels: Labels): { labels: Labels; value: number } {
    const key = labelText(labels);
    let v = this.#values.get(key);
    if (!v) this.#values.set(key, (v = { labels, value: 0 }));
    return v;
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels))?.value ?? 0;
  }
  lines(): string[] {
    return [...this.#values.values()].map((v) => `${this.name}_total${labelText(v.labels)} ${num(v.value)}`);
  }
}

export class Histogram {
  #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly buckets: readonly number[]) {}
  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  #families: Family[] = [];

  counter(name: string, help: string): Counter {
    const c = new Counter(name);
    this.#families.push({ name, help, type: 'counter', render: () => c.lines() });
    return c;
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const h = new Histogram(name, buckets);
    this.#families.push({ name, help, type: 'histogram', render: () => h.lines() });
    return h;
  }

  /** A gauge computed at scrape time; `read` returns one value per label set. */
  gauge(name: string, help: string, read: () => { labels?: Labels; value: number }[]): void {
    this.#families.push({ name, help, type: 'gauge', render: () => read().map((v) => `${name}${labelText(v.labels ?? {})} ${num(v.value)}`) });
  }

  /** Drops the families whose names start with a prefix (a host's gauges when its module unloads). */
  remove(predicate: (name: string) => boolean): void {
    this.#families = this.#families.filter((f) => !predicate(f.name));
  }

  render(): string {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const f of this.#families) {
      if (!seen.has(f.name)) {
        out.push(`# TYPE ${f.name} ${f.type}`, `# HELP ${f.name} ${f.help}`);
        seen.add(f.name);
      }
      out.push(...f.render());
    }
    out.push('# EOF');
    return `${out.join('\n')}\n`;
  }
}
