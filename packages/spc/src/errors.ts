/**
 * Every rejection of bad input is an SpcInputError naming the offending field, so the CLI can print
 * it as-is and library callers can tell input problems from bugs. The engine never returns NaN: a
 * value that cannot be computed is either `null` with a reason or an error raised here.
 */
export class SpcInputError extends Error {
  override readonly name = 'SpcInputError';
  constructor(
    message: string,
    /** The input field (or CSV line) the message is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export function assertFiniteArray(values: readonly number[], field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new SpcInputError(`${field}[${i + 1}] is not a finite number (got ${String(v)})`, field);
    }
  }
}

export function assertFinite(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SpcInputError(`${field} must be a finite number (got ${String(value)})`, field);
  }
}
