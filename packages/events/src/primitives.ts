import { z } from 'zod';

/** RFC 3339 timestamp with an offset (`Z` or `±hh:mm`), as events.md requires. */
export const Timestamp = z.iso.datetime({
  offset: true,
  message: 'must be an RFC 3339 timestamp with offset',
});
/** Durations are numbers in hours. */
export const Hours = z.number().finite().nonnegative();
/** Sizes are non-negative numbers. */
export const Size = z.number().finite().nonnegative();
export const Id = z.string().min(1).max(256);
