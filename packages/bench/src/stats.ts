/** Small helpers shared by the benchmark scripts: percentiles and memory sampling. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

export class PeakRss {
  #peak = process.memoryUsage.rss();
  #timer = setInterval(() => {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }, 50);
  stop(): number {
    clearInterval(this.#timer);
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
    return this.#peak;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
