import { readSecret, type Secret, type Section } from '@shewhart/config';
import { findKpi } from '@shewhart/kpi';
import { ALL_RULES } from '@shewhart/spc';
import { z } from 'zod';

/**
 * The `alerts` section of the configuration file (version 2): where alerts go (routes) and which
 * alerts exist (rules). Secrets are never in the file: a route names the environment variable that
 * holds its HMAC key (or its Slack webhook URL), read through @shewhart/config at start-up.
 */

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const httpUrl = z
  .url({ message: 'must be an http(s) URL' })
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const QuietHours = z
  .object({ from: clock, to: clock, tz: z.string().min(1).default('UTC') })
  .strict()
  .refine((q) => q.from !== q.to, { message: 'from and to must differ', path: ['to'] })
  .refine((q) => validTimeZone(q.tz), { message: 'is not a known IANA time zone', path: ['tz'] });

const Retry = z
  .object({
    attempts: z.number().int().min(1).max(50).default(8),
    backoffMs: z.number().int().min(10).max(3_600_000).default(1_000),
  })
  .strict();

export const Route = z
  .object({
    id,
    type: z.enum(['webhook', 'slack']),
    url: httpUrl.optional(),
    /** Slack: the incoming-webhook URL is itself a secret, so it may come from a variable instead. */
    urlEnv: envName.optional(),
    /** Webhook: the HMAC-SHA256 key of `X-Shewhart-Signature`. */
    secretEnv: envName.optional(),
    quietHours: QuietHours.optional(),
    retry: Retry.default({ attempts: 8, backoffMs: 1_000 }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.url === undefined) === (r.urlEnv === undefined))
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url and urlEnv' });
    if (r.type === 'webhook' && r.secretEnv === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['secretEnv'],
        message: 'is required for a webhook (the variable holding the signing key)',
      });
  });
export type Route = z.output<typeof Route>;

export const SCOPES = ['org', 'team', 'project'] as const;
export type ScopeLevel = (typeof SCOPES)[number];

export const Rule = z
  .object({
    id,
    class: z.enum(['signal', 'objective', 'data_quality']),
    /** KPI ids; omitted: every KPI. */
    kpis: z.array(z.string().min(1)).min(1).optional(),
    /** Scope levels; omitted: all. */
    scopes: z.array(z.enum(SCOPES)).min(1).optional(),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    routes: z.array(id).min(1, 'needs at least one route'),
    // signal
    /** SPC rules that alert (docs/methods.md §5.7); omitted: every rule the refresh applies. */
    spcRules: z
      .array(z.enum(ALL_RULES as unknown as [string, ...string[]]))
      .min(1)
      .optional(),
    /** Closed points without the rule firing that end an episode (docs/methods.md §8). */
    quietPoints: z.number().int().min(1).max(100).default(8),
    // objective
    /** Objective ids; omitted: every objective of the file (with `kpis`/`scopes` narrowing them). */
    objectives: z.array(id).min(1).optional(),
    /** Alert when the predicted P(attain) at the due date falls below this (docs/methods.md §7.2). */
    attainBelow: z.number().gt(0).lt(1).default(0.5),
    // data_quality
    rejectedShare: z
      .object({
        above: z.number().gt(0).lt(1).default(0.05),
        windowHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 31)
          .default(24),
        /** Fewer events than this in the window (accepted + rejected) judge nothing. */
        minEvents: z.number().int().min(1).default(20),
      })
      .strict()
      .default({ above: 0.05, windowHours: 24, minEvents: 20 }),
    /** Alert when late data changed a value already published for a closed period. */
    lateChanges: z.boolean().default(true),
  })
  .strict();
export type Rule = z.output<typeof Rule>;

export const AlertsSection = z
  .object({
    routes: z.array(Route).default([]),
    rules: z.array(Rule).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const [list, name] of [
      [s.routes, 'routes'],
      [s.rules, 'rules'],
    ] as const) {
      const seen = new Map<string, number>();
      list.forEach((x, i) => {
        const first = seen.get(x.id);
        if (first !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [name, i, 'id'],
            message: `duplicates ${name}[${first}].id "${x.id}"`,
          });
        seen.set(x.id, i);
      });
    }
  });
export type AlertsSection = z.output<typeof AlertsSection>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The `alerts` section: the schema, then what it cannot know — that a rule's routes, KPIs and
 * objectives exist, and that every variable a route names is set (a missing secret fails start-up, not
 * the first delivery at 3 a.m.).
 */
export const ALERTS_SECTION: Section<AlertsSection> = {
  schema: AlertsSection,
  check(section, report, sections) {
    section.routes.forEach((r, i) => {
      for (const field of ['secretEnv', 'urlEnv'] as const) {
        const name = r[field];
        if (name !== undefined && readSecret(name) === undefined)
          report(['routes', i, field], `environment variable ${name} is not set`);
      }
    });
    const routes = new Set(section.routes.map((r) => r.id));
    const objectives = new Set(
      ((sections.objectives as { id: string }[] | undefined) ?? []).map((o) => o.id),
    );
    section.rules.forEach((rule, i) => {
      rule.routes.forEach((r, j) => {
        if (!routes.has(r))
          report(
            ['rules', i, 'routes', j],
            `unknown route "${r}" (routes: ${[...routes].join(', ') || 'none'})`,
          );
      });
      rule.kpis?.forEach((k, j) => {
        if (!findKpi(k)) report(['rules', i, 'kpis', j], `unknown KPI "${k}" (shewhart kpi list)`);
      });
      rule.objectives?.forEach((o, j) => {
        if (rule.class !== 'objective')
          report(['rules', i, 'objectives'], 'only a rule of class objective names objectives');
        else if (!objectives.has(o))
          report(['rules', i, 'objectives', j], `unknown objective "${o}" (the objectives section)`);
      });
      if (rule.spcRules && rule.class !== 'signal')
        report(['rules', i, 'spcRules'], 'only a rule of class signal names SPC rules');
    });
  },
};

/** A route ready to deliver: its secrets read from the environment. */
export interface ResolvedRoute extends Route {
  target: Secret | string;
  secret?: Secret;
}

export interface AlertsConfig {
  routes: Map<string, ResolvedRoute>;
  rules: Rule[];
}

/** Reads the secrets the section names (checked present by ALERTS_SECTION). */
export function resolveAlerts(section: AlertsSection): AlertsConfig {
  const routes = new Map<string, ResolvedRoute>();
  for (const r of section.routes) {
    const fromEnv = r.urlEnv ? readSecret(r.urlEnv) : undefined;
    const secret = r.secretEnv ? readSecret(r.secretEnv) : undefined;
    const target = fromEnv ?? r.url;
    if (target === undefined) throw new Error(`route ${r.id}: ${r.urlEnv} is not set`);
    if (r.secretEnv && !secret) throw new Error(`route ${r.id}: ${r.secretEnv} is not set`);
    routes.set(r.id, { ...r, target, ...(secret ? { secret } : {}) });
  }
  return { routes, rules: section.rules };
}
