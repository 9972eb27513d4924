import { describe, expect, it } from 'vitest';
import { legendLabels, readPromql } from './promql.js';

describe('readPromql', () => {
  it('reads selectors, their matchers and the by() labels around them, with Grafana interval variables', () => {
    const r = readPromql(
      'histogram_quantile(0.95, sum by (le, status) (rate(shewhart_ingest_ack_seconds_bucket{status=~"2.."}[$__rate_interval])))',
    );
    expect(r.errors).toEqual([]);
    expect(r.selectors).toEqual([
      {
        metric: 'shewhart_ingest_ack_seconds_bucket',
        matchers: [{ label: 'status', op: '=~', value: '2..' }],
        groupedBy: ['le', 'status'],
      },
    ]);
    // The outermost node is a function call, not an aggregation: its labels are not known here.
    expect(r.resultLabels).toBeUndefined();
  });

  it('gives the labels an outer aggregation keeps', () => {
    expect(readPromql('max by (topic, partition) (shewhart_worker_consumer_lag)').resultLabels).toEqual([
      'topic',
      'partition',
    ]);
    expect(readPromql('sum(increase(x_total[${__range}]))').resultLabels).toEqual([]);
  });

  it('reports what does not parse', () => {
    expect(readPromql('sum(rate(x_total[5m])').errors).not.toEqual([]);
    expect(readPromql('rate(x_total[$foo])').errors).not.toEqual([]);
    expect(readPromql('sum(x) bogus').errors).toEqual([expect.stringContaining("'bogus'")]);
  });

  it('reads legend labels', () => {
    expect(legendLabels('{{topic}} [{{ partition }}]')).toEqual(['topic', 'partition']);
    expect(legendLabels(undefined)).toEqual([]);
  });
});
