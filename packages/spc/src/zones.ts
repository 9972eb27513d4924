/** Zones of the standardised point (docs/methods.md §5.2); boundaries belong to the inner zone. */
export type Zone = 'C' | 'B' | 'A' | 'beyond';

export function zoneOf(z: number, nsigmas = 3): Zone {
  const a = Math.abs(z);
  if (a > nsigmas) return 'beyond';
  if (a > 2) return 'A';
  if (a > 1) return 'B';
  return 'C';
}
