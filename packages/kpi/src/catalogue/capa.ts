import { capaClosureTime, capaEffectiveness, capaOnTime, capaRecurrenceRate } from '../sql/capa.sql.js';
import { define } from './define.js';

/** Corrective-action KPIs (docs/methods.md §2.6, ISO 9001 10.2). */
export const CAPA_KPIS = [
  define({
    id: 'capa_closure_time',
    title: 'CAPA closure time',
    unit: 'days',
    better: 'lower',
    chart: 'XmR-ln',
    formula: {
      ref: 'docs/methods.md §2.6',
      version: 1,
      text: 'median (R-7) of capa.opened → first capa.closed in days, for CAPAs closed in the period; P85 alongside',
    },
    aggregation: 'median',
    extras: ['p85'],
    sql: capaClosureTime,
  }),
  define({
    id: 'capa_on_time',
    title: 'CAPA on-time closure',
    unit: '%',
    better: 'higher',
    chart: 'p',
    formula: {
      ref: 'docs/methods.md §2.6',
      version: 1,
      text: 'CAPAs closed (first capa.closed time) no later than their dueAt (latest carried) / CAPAs closed in the period that have a dueAt × 100',
    },
    aggregation: 'ratio',
    sql: capaOnTime,
  }),
  define({
    id: 'capa_effectiveness',
    title: 'CAPA effectiveness',
    unit: '%',
    better: 'higher',
    chart: 'p',
    formula: {
      ref: 'docs/methods.md §2.6',
      version: 1,
      text: 'effective / (effective + not_effective) × 100 over effectiveness checks completed in the period (the latest capa.closed carrying a result); pending excluded',
    },
    aggregation: 'ratio',
    sql: capaEffectiveness,
  }),
  define({
    id: 'capa_recurrence_rate',
    title: 'CAPA recurrence rate',
    unit: '%',
    better: 'lower',
    chart: 'p',
    formula: {
      ref: 'docs/methods.md §2.6',
      version: 1,
      text: 'CAPAs closed in the period (with a recurrenceKey) followed by a new CAPA of the same team and recurrenceKey opened within 180 days after the closure / those CAPAs × 100; a period is listed only once its whole cohort has its complete 180-day window at asOf',
    },
    aggregation: 'ratio',
    sql: capaRecurrenceRate,
  }),
] as const;
