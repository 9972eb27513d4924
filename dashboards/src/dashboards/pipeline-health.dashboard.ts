import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from '../datasource.js';
import {
  note,
  promStat,
  promTimeSeries,
  shewhartDashboard,
  singleStat,
  tablePanel,
  timeSeries,
} from '../presets.js';

/**
 * Pipeline health from two sources (docs/dashboards.md, "Pipeline health: ClickHouse and Prometheus").
 * ClickHouse, the tables the pipeline writes: arrivals (`events_raw.ingested_at`), the delay from event
 * time to storage, freshness of the stored events and of the KPI entity states (`rollup_watermark`),
 * refused events (`ingest_rejections`, once that migration exists). Prometheus, what the processes count
 * but never store: dead letters (`shewhart_worker_events_total{outcome="rejected"}`: in the worker every
 * refused message is dead-lettered), Kafka consumer lag per group and the consumer group
 * (`shewhart_worker_consumer_lag{group,topic,partition}`, `shewhart_worker_group_members`), the
 * collector's events and requests (`shewhart_ingest_events_total`, `shewhart_ingest_requests_total`) and
 * whether Prometheus reaches the processes (`up`, per scrape job of infra/compose/prometheus.yml).
 */

/** The scrape jobs of infra/compose/prometheus.yml (the infra test checks they are the same). */
export const SCRAPE_JOBS = { collector: 'shewhart-collector', worker: 'shewhart-worker' } as const;
const DEAD_LETTERS = 'shewhart_worker_events_total{outcome="rejected"}';

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
        "**Are the numbers fresh?** From the tables the pipeline writes (ClickHouse): events stored per interval by arrival time, the delay from event time to storage, seconds since the last stored event and since the KPI entity states last caught up (panels read the states, so this bounds how stale a KPI panel can be). The panels under *From the processes (Prometheus)* come from the collector and workers' /metrics: see docs/dashboards.md.",
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
  d.withPanel(
    note(
      '**From the processes (Prometheus).** What the collector and the workers count but never store, scraped from their `/metrics` by Prometheus: dead letters (messages a worker will never store, published to the dead-letter topic: see the panel), Kafka consumer lag of the worker group, and the rates at which the collector accepts, deduplicates and refuses events. Empty without the Prometheus of infra/compose (or one scraping the same jobs).',
      2,
    ),
  )
    .withPanel(
      promStat('Dead letters in the range', `round(sum(increase(${DEAD_LETTERS}[$__range])))`, {
        warn: 1,
        crit: 100,
        description:
          'Messages the workers will never store, published to the dead-letter topic and recorded as refused: at once for a message that fails decoding or validation; after SHEWHART_DLQ_ATTEMPTS store attempts for an event ClickHouse refuses (a storage outage is retried, never dead-lettered) (counter increase over the dashboard range, across workers and restarts; Prometheus extrapolates an increase to the range edges, so it is rounded).',
      })
        .height(5)
        .span(6),
    )
    .withPanel(
      promStat(
        'Consumer lag (messages, all partitions)',
        'sum by (group) (max by (group, topic, partition) (shewhart_worker_consumer_lag))',
        {
          warn: 1000,
          crit: 100000,
          legend: '{{group}}',
          description:
            'Messages of the events topic not yet committed, per worker group (KAFKA_GROUP_ID). Every worker of a group reports the group-wide figures, so each partition is counted once (max over workers).',
        },
      )
        .height(5)
        .span(6),
    )
    .withPanel(
      promStat('Workers in the consumer group', 'max by (group, state) (shewhart_worker_group_members)', {
        legend: '{{group}} ({{state}})',
        description:
          'Members of the worker group as the Kafka coordinator reports them, with the group state (Stable when partitions are assigned).',
      })
        .height(5)
        .span(6),
    )
    .withPanel(
      promStat(
        'Processes Prometheus reaches',
        `sum by (job) (up{job=~"${Object.values(SCRAPE_JOBS).join('|')}"})`,
        {
          legend: '{{job}}',
          description:
            "Targets of each scrape job that answered the last scrape (Prometheus's own `up` series). A worker that is down shows here before its lag grows.",
        },
      )
        .height(5)
        .span(6),
    )
    .withPanel(
      promTimeSeries(
        'Dead letters per minute',
        [{ expr: `sum(rate(${DEAD_LETTERS}[$__rate_interval])) * 60`, legend: 'dead letters' }],
        { unit: 'cpm' },
      )
        .height(8)
        .span(12),
    )
    .withPanel(
      promTimeSeries(
        'Consumer lag per partition',
        [
          {
            expr: 'max by (group, topic, partition) (shewhart_worker_consumer_lag)',
            legend: '{{group}}: {{topic}} [{{partition}}]',
          },
        ],
        {
          stacked: true,
          description:
            'Messages not yet committed by the worker group, per group and partition of the events topic (stacked: the top is the total). A partition whose lag only grows has no worker or a worker that cannot store.',
        },
      )
        .height(8)
        .span(12),
    )
    .withPanel(
      promTimeSeries(
        'Collector: events per second by outcome',
        [
          {
            expr: 'sum by (outcome) (rate(shewhart_ingest_events_total[$__rate_interval]))',
            legend: '{{outcome}}',
          },
        ],
        {
          unit: 'cps',
          description:
            'Events posted to the collector: accepted (published to Kafka), duplicate, rejected (refused by validation, answered with the reason).',
        },
      )
        .height(8)
        .span(8),
    )
    .withPanel(
      promTimeSeries(
        'Collector: requests per second by status',
        [
          {
            expr: 'sum by (status) (rate(shewhart_ingest_requests_total[$__rate_interval]))',
            legend: '{{status}}',
          },
        ],
        {
          unit: 'reqps',
          description:
            'Ingest requests by HTTP status: 202 accepted, 4xx refused, 503 while the broker does not acknowledge (the client retries).',
        },
      )
        .height(8)
        .span(8),
    )
    .withPanel(
      promTimeSeries(
        'Workers: events per second by outcome',
        [
          {
            expr: 'sum by (outcome) (rate(shewhart_worker_events_total[$__rate_interval]))',
            legend: '{{outcome}}',
          },
        ],
        {
          unit: 'cps',
          description:
            'Messages the workers consumed: stored, duplicate, rejected (dead-lettered), retried (a batch that failed to store and is redelivered).',
        },
      )
        .height(8)
        .span(8),
    );
  return d;
}
