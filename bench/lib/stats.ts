// Small statistics helpers: percentiles of samples, median and spread of repetitions.

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** (max - min) / median, as a fraction; 0 for a single value. */
export function spread(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length < 2) return 0;
  const med = median(v);
  return med === 0 ? 0 : (Math.max(...v) - Math.min(...v)) / Math.abs(med);
}

/** Records latencies in milliseconds. */
export class Samples {
  #v: number[] = [];
  add(ms: number): void {
    this.#v.push(ms);
  }
  get count(): number {
    return this.#v.length;
  }
  p(pct: number): number {
    return percentile(this.#v.slice().sort((a, b) => a - b), pct);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
