import { describe, expect, it } from 'vitest';
import {
  type ExpandContext,
  expandMacros,
  expandPromql,
  expandQuery,
  type PromExpandContext,
  replaceVariables,
} from './expand.js';

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

describe('Grafana on a Prometheus panel', () => {
  // The last 5 minutes on a panel 1,000 points wide, the provisioned data source's 15 s scrape interval.
  const to = new Date(1_700_000_007_000);
  const prom: PromExpandContext = {
    from: new Date(to.getTime() - 300_000),
    to,
    scrapeIntervalMs: 15_000,
    maxDataPoints: 1000,
    variables: {
      job: { value: 'shewhart-worker' },
      types: { value: ['a.b', 'c'], multi: true, includeAll: true },
      one: { value: ['a.b'], multi: true },
      every: { value: '$__all', includeAll: true, options: ['x', 'y'] },
      custom: { value: '$__all', includeAll: true, allValue: '.+' },
    },
  };

  it('puts in the step, the range and the rate interval as the backend does', () => {
    const r = expandPromql(
      'rate(x[$__rate_interval]) + increase(x[$__range]) + x offset $__interval + $__range_s + ${__interval_ms} + $__rate_interval_ms',
      prom,
    );
    // 300 s / 1000 points is under the scrape interval: the step is 15 s; rate interval max(30 s, 60 s).
    expect(r.stepMs).toBe(15_000);
    expect(r.expr).toBe('rate(x[1m0s]) + increase(x[300s]) + x offset 15s + 300 + 15000 + 60000');
    expect(r.end.getTime()).toBe(1_699_999_995_000);
    expect(r.start.getTime()).toBe(1_699_999_695_000);
  });

  it('rounds the panel interval of a long range to a nice one', () => {
    const day = { ...prom, from: new Date(to.getTime() - 86_400_000) };
    // 86.4 s per point rounds to 1 m; the rate interval is 1 m + 15 s.
    const r = expandPromql('rate(x[$__rate_interval])[$__interval]', day);
    expect(r.stepMs).toBe(60_000);
    expect(r.expr).toBe('rate(x[1m15s])[1m]');
  });

  it('formats template variables as the data source does: regex-escaped and joined when multi or All', () => {
    expect(
      expandPromql('x{job="$job", type=~"$types", one=~"$one", e=~"$every", c=~"${custom}"}', prom).expr,
    ).toBe(String.raw`x{job="shewhart-worker", type=~"(a\\.b|c)", one=~"a\\.b", e=~"(x|y)", c=~".+"}`);
  });
});
