/**
 * PromQL of the Prometheus panels, read with the Prometheus project's own grammar
 * (`@prometheus-io/lezer-promql`, the parser of Prometheus's query editor): syntax errors, the metrics
 * each expression selects with their label matchers, and the labels it groups by. The validator refuses
 * an expression that does not parse; the metrics test (prometheus.kafka.int.test.ts) checks every metric
 * and label against what the real processes export.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** Grafana's interval variables, which stand where PromQL has a duration (`rate(x[$__rate_interval])`). */
const GRAFANA_DURATIONS =
  /\$(?:__(?:rate_interval|interval|range)\b|\{__(?:rate_interval|interval|range)\})/g;

export interface PromSelector {
  /** The metric name as written (`shewhart_ingest_ack_seconds_bucket`, `up`). */
  metric: string;
  matchers: { label: string; op: string; value: string }[];
  /** Labels of every `by (…)` around the selector: they must be labels of its series. */
  groupedBy: string[];
}

export interface PromqlReading {
  /** Syntax errors, each with the text at fault; empty when the expression parses. */
  errors: string[];
  selectors: PromSelector[];
  /** The `by (…)` labels of the outermost aggregation, or undefined when the result keeps all labels. */
  resultLabels?: string[];
}

/** Parses one expression (Grafana's interval variables read as a duration). */
export function readPromql(expr: string): PromqlReading {
  const text = expr.replace(GRAFANA_DURATIONS, (m) => '5m'.padEnd(m.length, ' '));
  const tree = parser.parse(text);
  const errors: string[] = [];
  const selectors: PromSelector[] = [];
  const slice = (from: number, to: number) => text.slice(from, to);
  const c = tree.cursor();
  do {
    if (c.type.isError) errors.push(`syntax error at ${c.from}: '${slice(c.from, c.to + 10).trim()}'`);
    if (c.name === 'VectorSelector') {
      const node = c.node;
      const metric = node.getChild('Identifier');
      const matchers = node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .map((m) => ({
          label: slice(m.getChild('LabelName')?.from ?? 0, m.getChild('LabelName')?.to ?? 0),
          op: slice(m.getChild('MatchOp')?.from ?? 0, m.getChild('MatchOp')?.to ?? 0),
          value: JSON.parse(
            slice(m.getChild('StringLiteral')?.from ?? 0, m.getChild('StringLiteral')?.to ?? 0),
          ),
        }));
      const groupedBy: string[] = [];
      for (let up = node.parent; up; up = up.parent) {
        if (up.name !== 'AggregateExpr') continue;
        groupedBy.push(...byLabels(up, slice));
      }
      selectors.push({
        metric: metric ? slice(metric.from, metric.to) : '',
        matchers: matchers ?? [],
        groupedBy,
      });
    }
  } while (c.next());
  const top = tree.topNode.firstChild;
  const resultLabels = top?.name === 'AggregateExpr' ? byLabels(top, slice) : undefined;
  return { errors, selectors, resultLabels };
}

type Node = NonNullable<ReturnType<typeof parser.parse>['topNode']['firstChild']>;

function byLabels(aggregate: Node, slice: (from: number, to: number) => string): string[] {
  const modifier = aggregate.getChild('AggregateModifier');
  if (!modifier?.getChild('By')) return [];
  return (modifier.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((l) =>
    slice(l.from, l.to),
  );
}

/** The labels a legend format names (`{{topic}} [{{partition}}]`). */
export function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] as string);
}
