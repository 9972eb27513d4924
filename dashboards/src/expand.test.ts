import { describe, expect, it } from 'vitest';
import { type ExpandContext, expandMacros, expandQuery, replaceVariables } from './expand.js';

// The plugin's own test values (pkg/macros/macros_test.go): from 1415792726 s, to 1447328726 s.
const ctx: ExpandContext = {
  from: new Date(1_415_792_726_000),
  to: new Date(1_447_328_726_000),
  intervalMs: 30_000,
  variables: {
    team: { value: 'payments' },
    teams: { value: ['payments', 'mobile'] },
    all: { value: '$__all', allValue: '*' },
    every: { value: '$__all', options: ['a', 'b'] },
  },
};

describe('the ClickHouse plugin macros', () => {
  it.each([
    ['$__fromTime', 'toDateTime(1415792726)'],
    ['$__toTime', 'toDateTime(1447328726)'],
    ['$__fromTime_ms', 'fromUnixTimestamp64Milli(1415792726000)'],
    ['$__timeFilter(col)', 'col >= toDateTime(1415792726) AND col <= toDateTime(1447328726)'],
    [
      '$__timeFilter_ms(col)',
      'col >= fromUnixTimestamp64Milli(1415792726000) AND col <= fromUnixTimestamp64Milli(1447328726000)',
    ],
    ['$__dateFilter(d)', "d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')"],
    ['$__timeInterval(t)', 'toStartOfInterval(toDateTime(t), INTERVAL 30 second)'],
    ['$__interval_s', '30'],
    [
      '$__timeFilter(toDate(a, b))',
      'toDate(a, b) >= toDateTime(1415792726) AND toDate(a, b) <= toDateTime(1447328726)',
    ],
  ])('%s', (macro, expected) => {
    expect(expandMacros(macro, ctx)).toBe(expected);
  });

  it('takes at least one second as the interval', () => {
    expect(expandMacros('$__interval_s', { ...ctx, intervalMs: 200 })).toBe('1');
  });

  it('refuses a macro with the wrong number of arguments, as the plugin does', () => {
    expect(() => expandMacros('$__timeFilter(a, b)', ctx)).toThrow('expected 1 argument(s), received 2');
  });
});

describe('template variables with the plugin formatter', () => {
  it('inserts a single value as is and quotes a multi-value selection', () => {
    expect(replaceVariables("team = '${team}' AND t IN (${teams}) AND x = '$team'", ctx)).toBe(
      "team = 'payments' AND t IN ('payments','mobile') AND x = 'payments'",
    );
  });

  it('inserts a custom all value unformatted, and every option without one', () => {
    expect(replaceVariables("'${all}' ${every} ${every:singlequote}", ctx)).toBe("'*' 'a','b' 'a','b'");
  });

  it('leaves unknown names and macros to the next step', () => {
    expect(replaceVariables('${nope} $__fromTime', ctx)).toBe('${nope} $__fromTime');
    expect(expandQuery("SELECT '${team}', $__toTime", ctx)).toBe("SELECT 'payments', toDateTime(1447328726)");
  });
});
