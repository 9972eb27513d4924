import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from '../datasource.js';
import { note, shewhartDashboard, singleStat, tablePanel, timeSeries } from '../presets.js';

/**
 * Pipeline health from the tables the pipeline writes (ClickHouse): arrivals (`events_raw.ingested_at`),
 * the delay from event time to storage, freshness of the stored events and of the KPI entity states
 * (`rollup_watermark`), refused events (`ingest_rejections`, once that migration exists). Dead letters and
 * Kafka consumer lag are not in ClickHouse: they are Prometheus metrics of the worker's /metrics
 * (`shewhart_worker_events_total{outcome="dead_lettered"}`, `shewhart_worker_consumer_lag`), see
 * docs/dashboards.md.
 */
const typeVariable = () =>
  new dashboard.QueryVariableBuilder('type')
    .label('Event type')
    .datasource(DATASOURCE)
    .query('SELECT DISTINCT type FROM events_raw ORDER BY type')
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all', selected: true })
    .refresh(dashboard.VariableRefresh.OnDashboardLoad);

export function pipelineHealth(options: { rejections: boolean }) {
  const d = shewhartDashboard(
    'shewhart-pipeline-health',
    'Pipeline health',
    'Are events arriving, are they stored promptly, and are the KPIs up to date?',
  )
    .refresh('30s')
    .time({ from: 'now-24h', to: 'now' })
    .withVariable(typeVariable())
    .withPanel(
      note(
        '**Are the numbers fresh?** From the tables the pipeline writes (ClickHouse): events stored per interval by arrival time, the delay from event time to storage, seconds since the last stored event and since the KPI entity states last caught up (panels read the states, so this bounds how stale a KPI panel can be). Dead letters and Kafka consumer lag are Prometheus metrics of the worker (`shewhart_worker_events_total{outcome="dead_lettered"}`, `shewhart_worker_consumer_lag`): see docs/dashboards.md.',
      ),
    )
    .withPanel(
      singleStat(
        'Seconds since the last stored event',
        `SELECT dateDiff('second', max(ingested_at), now64(3)) AS seconds FROM events_raw`,
        { unit: 's', warn: 3600, crit: 86400 },
      )
        .height(5)
        .span(8),
    )
    .withPanel(
      singleStat(
        'KPI entity states behind the stored events (s)',
        `
        SELECT greatest(0, dateDiff('second', (SELECT max(watermark) FROM rollup_watermark),
                                    (SELECT max(ingested_at) FROM events_raw))) AS seconds`,
        {
          unit: 's',
          warn: 60,
          crit: 600,
          description:
            'Time between the last stored event and the entity states watermark (which trails the last catch-up by its lag, 5 s by default). Panels read the states: a KPI panel is at most this much behind.',
        },
      )
        .height(5)
        .span(8),
    )
    .withPanel(
      singleStat(
        'Events stored in the range',
        `SELECT count() AS events FROM events_raw WHERE $__timeFilter(ingested_at) AND type IN (\${type:singlequote})`,
      )
        .height(5)
        .span(8),
    )
    .withPanel(
      timeSeries(
        'Events stored per interval, by type',
        `
        SELECT $__timeInterval(ingested_at) AS bucket, type, count() AS events
        FROM events_raw
        WHERE $__timeFilter(ingested_at) AND type IN (\${type:singlequote})
        GROUP BY bucket, type ORDER BY bucket`,
        { unit: 'short' },
      )
        .withTransformation({ id: 'prepareTimeSeries', options: { format: 'multi' } })
        .height(8)
        .span(12),
    )
    .withPanel(
      timeSeries(
        'Delay from event time to storage (p50, p95)',
        `
        SELECT $__timeInterval(ingested_at) AS bucket,
               quantile(0.5)(dateDiff('second', time, ingested_at)) AS p50,
               quantile(0.95)(dateDiff('second', time, ingested_at)) AS p95
        FROM events_raw
        WHERE $__timeFilter(ingested_at) AND type IN (\${type:singlequote})
        GROUP BY bucket ORDER BY bucket`,
        { unit: 's' },
      )
        .height(8)
        .span(12),
    );
  if (options.rejections) {
    d.withPanel(
      tablePanel(
        'Refused events by source and reason',
        `
        SELECT source, team, reason, sum(rejected) AS rejected, max(at) AS last_at
        FROM ingest_rejections WHERE $__timeFilter(at)
        GROUP BY source, team, reason ORDER BY rejected DESC LIMIT 100`,
        { columns: { rejected: 'Refused', last_at: 'Last' } },
      )
        .height(7)
        .span(24),
    );
  }
  return d;
}
