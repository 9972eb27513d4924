import { inspect } from 'node:util';

/**
 * A secret read from the environment (an alert route's HMAC key, a Slack webhook URL). It prints as
 * `[secret]` everywhere — JSON, template strings, `util.inspect`, pino — so that a config object logged
 * whole never leaks it; only `reveal()` gives the value, at the one place that signs or sends.
 */
export class Secret {
  readonly #value: string;
  constructor(
    /** The environment variable it came from (safe to print). */
    readonly from: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return `[secret from ${this.from}]`;
  }
}

/**
 * The environment variable a configuration file names (e.g. `secretEnv: SHEWHART_ALERT_SECRET_QUALITY`),
 * as a Secret; undefined when unset or blank. The configuration package is the only reader of the
 * environment: files name variables, they never hold secrets.
 */
export function readSecret(
  name: string,
  env: Record<string, string | undefined> = process.env,
): Secret | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : new Secret(name, value);
}
