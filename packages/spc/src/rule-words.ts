/** The detection rules in words, for chart notes and reports (docs/methods.md §5.7). */
import type { RuleName } from './rules.js';

const WORDS: Record<RuleName, string> = {
  WE1: 'a point beyond 3σ',
  WE2: '2 of 3 beyond 2σ on one side',
  WE3: '4 of 5 beyond 1σ on one side',
  WE4: '8 in a row on one side of the centre',
  NELSON1: 'a point beyond 3σ',
  NELSON2: '9 in a row on one side of the centre',
  NELSON3: '6 in a row steadily rising or falling',
  NELSON4: '14 in a row alternating up and down',
  NELSON5: '2 of 3 beyond 2σ on one side',
  NELSON6: '4 of 5 beyond 1σ on one side',
  NELSON7: '15 in a row within 1σ (stratification)',
  NELSON8: '8 in a row beyond 1σ, on both sides (mixture)',
};

/**
 * "a point beyond 3σ (WE1); 8 in a row on one side of the centre (WE4)". `nsigmas` other than 3 (EWMA's
 * L) changes the first rule's words.
 */
export function describeRules(rules: readonly RuleName[], nsigmas = 3): string {
  return rules
    .map((r) => {
      const words = r === 'WE1' || r === 'NELSON1' ? `a point beyond ${+nsigmas.toFixed(3)}σ` : WORDS[r];
      return `${words} (${r})`;
    })
    .join('; ');
}
