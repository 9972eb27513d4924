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

/** Control characters other than tab, line feed and carriage return: C0, DEL and C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Why a string of free text may not be stored, or undefined when it may: lone UTF-16 surrogates are not
 * Unicode (storage refuses them), and control characters other than tab, line feed and carriage return
 * have no place in text a person reads.
 */
export function textProblem(s: string): string | undefined {
  if (!wellFormed(s)) return 'must be valid Unicode (it contains a lone surrogate)';
  const at = s.search(CONTROL_IN_TEXT);
  if (at < 0) return undefined;
  const hex = (s.codePointAt(at) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `must not contain control characters other than tab, line feed and carriage return (found U+${hex} at position ${at})`;
}

/**
 * A name or identifier: valid Unicode without control characters. The character rule is a pattern, so
 * the generated JSON Schema carries it to clients.
 */
function name() {
  return (
    z
      .string()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, {
        message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)',
      })
      .refine(wellFormed, { message: 'must be valid Unicode (it contains a lone surrogate)' })
  );
}

/** A bounded name or identifier (the envelope's `id`, `source`, `team`, the payload's entity ids). */
export function Text(min: number, max: number) {
  return name().min(min).max(max);
}

/** An optional reference to another entity (a release, a work product, a customer): any length. */
export const Ref = name();

/** Durations are numbers in hours. */
export const Hours = z.number().finite().nonnegative();
/** Sizes are non-negative numbers. */
export const Size = z.number().finite().nonnegative();
export const Id = Text(1, 256);
