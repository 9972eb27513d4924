import { z } from 'zod';

/** RFC 3339 timestamp with an offset (`Z` or `±hh:mm`), as docs/events.md requires. */
export const Timestamp = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp with offset' })
  // DateTime64 stores 1900-01-01 … 2299-12-31; anything outside is a data error, not a date to clamp.
  .refine(
    (s) => {
      const year = new Date(s).getUTCFullYear();
      return year >= 1900 && year <= 2299;
    },
    { message: 'must be between the years 1900 and 2299' },
  );

/** A string that is valid Unicode (no lone UTF-16 surrogates), so storage can never refuse it. */
export function Text(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => (s as string & { isWellFormed(): boolean }).isWellFormed(), {
      message: 'must be valid Unicode (it contains a lone surrogate)',
    });
}

/** Durations are numbers in hours. */
export const Hours = z.number().finite().nonnegative();
/** Sizes are non-negative numbers. */
export const Size = z.number().finite().nonnegative();
export const Id = Text(1, 256);
