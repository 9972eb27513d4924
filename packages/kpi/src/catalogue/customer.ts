import { complaints, csat, nps } from '../sql/customer.sql.js';
import { define } from './define.js';

/** Customer-satisfaction KPIs (docs/methods.md §2.3, ISO 9001 9.1.2), by event time. */
export const CUSTOMER_KPIS = [
  define({
    id: 'csat',
    title: 'Customer satisfaction (CSAT)',
    unit: '%',
    better: 'higher',
    chart: 'p',
    formula: {
      ref: 'docs/methods.md §2.3',
      version: 1,
      text: 'feedback.survey responses on csat_1_5 scoring 4–5 / csat_1_5 responses × 100',
    },
    aggregation: 'ratio',
    sql: csat,
  }),
  define({
    id: 'nps',
    title: 'Net promoter score',
    unit: 'points (−100..100)',
    better: 'higher',
    chart: 'XmR',
    formula: {
      ref: 'docs/methods.md §2.3',
      version: 1,
      text: '(nps_0_10 responses scoring 9–10 − responses scoring 0–6) / nps_0_10 responses × 100',
    },
    aggregation: 'ratio',
    sql: nps,
  }),
  define({
    id: 'complaints',
    title: 'Complaints',
    unit: 'count',
    better: 'lower',
    chart: 'c',
    formula: {
      ref: 'docs/methods.md §2.3',
      version: 1,
      text: 'feedback.complaint received in the period, one per complaintId',
    },
    aggregation: 'count',
    sql: complaints,
  }),
] as const;
