import cliProgress from 'cli-progress';

/**
 * Progress for long CLI work, on stderr: a bar in a terminal, a line every 10 % otherwise (CI logs).
 */
export class Progress {
  readonly #bar: cliProgress.SingleBar | undefined;
  readonly #label: string;
  readonly #total: number;
  #lastDecile = -1;
  #started = Date.now();

  constructor(label: string, total: number, unit = 'events') {
    this.#label = label;
    this.#total = total;
    if (process.stderr.isTTY) {
      this.#bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(total, 0, { rate: 0 });
    }
  }

  update(done: number): void {
    const secs = (Date.now() - this.#started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    if (this.#bar) {
      this.#bar.update(done, { rate });
      return;
    }
    const decile = this.#total > 0 ? Math.floor((done / this.#total) * 10) : 10;
    if (decile > this.#lastDecile) {
      this.#lastDecile = decile;
      process.stderr.write(
        `${this.#label}: ${Math.min(100, decile * 10)}% (${done}/${this.#total}, ${rate}/s)\n`,
      );
    }
  }

  stop(): void {
    this.#bar?.stop();
  }
}
