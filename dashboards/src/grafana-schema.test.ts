/**
 * The generated dashboards are what Grafana 11.6 imports unchanged (no Grafana server runs here: see
 * docs/dashboards.md, "Checked against Grafana's schema").
 *
 * 1. Schema: Grafana's own schema package for the release we target (`@grafana/schema` 11.6.x, the types
 *    Grafana generates from its CUE kinds) is turned into JSON Schema (ts-json-schema-generator, objects
 *    closed: a property the schema does not name is an error) and every file is validated with ajv — the
 *    dashboard, and each panel's `options` and `fieldConfig.defaults.custom` against its panel plugin's
 *    `Options` and `FieldConfig`, each query against the common `DataQuery`. One documented exception:
 *    the schema types an annotation's `target` as the built-in Grafana annotation query only; a data
 *    source annotation carries its data source's query there, validated as a `DataQuery`.
 * 2. What import relies on beyond the schema: schemaVersion the one Grafana 11.6 writes (its migrator runs
 *    nothing on our panels), uid Grafana accepts, unique panel ids, grid positions inside the 24 columns
 *    without overlaps, data source references as {type, uid} objects, query refIds unique per panel, and
 *    template variables Grafana can resolve (unique names, a data source and SQL for a query variable,
 *    options for a custom one, a current value that is an option).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultDashboard } from '@grafana/schema';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_DIR } from './build.js';
import { DATASOURCES } from './datasource.js';

const require = createRequire(import.meta.url);
const RAW = join(dirname(require.resolve('@grafana/schema/package.json')), 'dist/esm/raw');
const SCHEMA_VERSION = (require('@grafana/schema/package.json') as { version: string }).version;

const FILES = readdirSync(GENERATED_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(GENERATED_DIR, f), 'utf8')) as Dashboard }));

interface Ref {
  type?: unknown;
  uid?: unknown;
}
interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  gridPos?: GridPos;
  datasource?: Ref;
  options?: unknown;
  fieldConfig?: { defaults?: { custom?: unknown } };
  targets?: ({ refId?: string; datasource?: Ref } & Record<string, unknown>)[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  datasource?: Ref;
  refresh?: number;
  multi?: boolean;
  includeAll?: boolean;
  current?: { text: string | string[]; value: string | string[] };
  options?: { text: string; value: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  id?: number | null;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: { name: string; builtIn?: number; datasource?: Ref; target?: unknown }[] };
}

const ajv = new Ajv({ allErrors: true, strict: false });

/** JSON Schema of an exported type of a @grafana/schema declaration file, every object closed. */
function schemaOf(file: string, type: string): Record<string, unknown> {
  return createGenerator({
    path: join(RAW, file),
    type,
    skipTypeCheck: true,
    additionalProperties: false,
    expose: 'export',
    topRef: true,
    jsDoc: 'none',
  }).createSchema(type) as Record<string, unknown>;
}

const errorsOf = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);

/** The panel plugins' schemas by panel type: `Options`, and `FieldConfig` where the plugin has one. */
function panelSchemas(
  types: string[],
): Map<string, { options: ValidateFunction; custom?: ValidateFunction }> {
  const out = new Map<string, { options: ValidateFunction; custom?: ValidateFunction }>();
  for (const type of types) {
    const dir = join(RAW, 'composable', type.replace(/-/g, ''), 'panelcfg/x');
    const file = readdirSync(dir).find((f) => f.endsWith('_types.gen.d.ts')) as string;
    const rel = join('composable', type.replace(/-/g, ''), 'panelcfg/x', file);
    const hasFieldConfig = /export interface FieldConfig\b/.test(readFileSync(join(RAW, rel), 'utf8'));
    out.set(type, {
      options: ajv.compile(schemaOf(rel, 'Options') as AnySchema),
      ...(hasFieldConfig ? { custom: ajv.compile(schemaOf(rel, 'FieldConfig') as AnySchema) } : {}),
    });
  }
  return out;
}

const allPanels = (d: Dashboard) => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

let dashboardSchema: ValidateFunction;
let dataQuery: ValidateFunction;
let panels: ReturnType<typeof panelSchemas>;

beforeAll(() => {
  const dashboard = schemaOf('dashboard/x/dashboard_types.gen.d.ts', 'Dashboard');
  const query = schemaOf('../common/common.gen.d.ts', 'DataQuery');
  // A data query is extended by every data source plugin with its own fields (rawSql, expr, …): the
  // common fields are checked, the plugin's are the plugin's.
  const openQuery = {
    ...(query.definitions as Record<string, object>).DataQuery,
    additionalProperties: true,
  };
  dataQuery = ajv.compile({ ...query, definitions: { DataQuery: openQuery } } as AnySchema);
  // The one exception (see the header): an annotation's target is its data source's query.
  const definitions = dashboard.definitions as Record<string, unknown>;
  definitions.AnnotationTarget = openQuery;
  dashboardSchema = ajv.compile(dashboard as AnySchema);
  panels = panelSchemas([...new Set(FILES.flatMap((f) => allPanels(f.json).map((p) => p.type)))]);
}, 120_000);

describe(`Grafana's dashboard schema (@grafana/schema ${SCHEMA_VERSION})`, () => {
  it('is the schema of the Grafana release the deployment runs, and closes its objects', () => {
    expect(SCHEMA_VERSION).toMatch(/^11\.6\./);
    const compose = readFileSync(join(GENERATED_DIR, '../../infra/compose/compose.yaml'), 'utf8');
    expect(compose).toMatch(/image: grafana\/grafana:11\.6\.\d+/);
    // A property Grafana's schema does not know is refused, so the check has teeth.
    const probe = structuredClone(FILES[0]?.json) as Dashboard & { colour?: string };
    probe.colour = 'red';
    expect(dashboardSchema(probe)).toBe(false);
    expect(errorsOf(dashboardSchema)).toEqual([expect.stringContaining('"additionalProperty":"colour"')]);
  });

  it.each(FILES)('$file is a valid dashboard', ({ json }) => {
    expect(dashboardSchema(json), errorsOf(dashboardSchema).join('\n')).toBe(true);
  });

  it.each(FILES)("$file: every panel's options and custom field config are its plugin's", ({ json }) => {
    const problems: string[] = [];
    for (const p of allPanels(json)) {
      if (p.type === 'row') continue;
      const schema = panels.get(p.type);
      if (!schema) {
        problems.push(`"${p.title}": no schema for panel type ${p.type}`);
        continue;
      }
      if (!schema.options(p.options ?? {}))
        problems.push(...errorsOf(schema.options).map((e) => `"${p.title}" options${e}`));
      if (schema.custom && !schema.custom(p.fieldConfig?.defaults?.custom ?? {}))
        problems.push(...errorsOf(schema.custom).map((e) => `"${p.title}" fieldConfig.defaults.custom${e}`));
    }
    expect(problems).toEqual([]);
  });

  it.each(FILES)('$file: every query is a data query', ({ json }) => {
    const queries = [
      ...allPanels(json).flatMap((p) => p.targets ?? []),
      ...(json.annotations?.list ?? []).flatMap((a) => (a.target ? [a.target] : [])),
    ];
    for (const q of queries) expect(dataQuery(q), errorsOf(dataQuery).join('\n')).toBe(true);
  });
});

describe("what Grafana's import relies on", () => {
  const rectangles = (d: Dashboard) => allPanels(d).map((p) => ({ title: p.title ?? p.type, ...p.gridPos }));

  it.each(FILES)(
    '$file: schemaVersion Grafana 11.6 writes, an importable uid, no instance id',
    ({ json }) => {
      expect(json.schemaVersion).toBe(defaultDashboard.schemaVersion);
      expect(json.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(json.title.trim()).not.toBe('');
      expect(json.id ?? null).toBeNull();
    },
  );

  it.each(FILES)('$file: unique panel ids, grid positions inside 24 columns, no overlap', ({ json }) => {
    const ids = allPanels(json).map((p) => p.id);
    for (const id of ids) expect(Number.isInteger(id) && (id as number) > 0, `panel id ${id}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = rectangles(json);
    for (const b of boxes) {
      for (const k of ['x', 'y', 'w', 'h'] as const)
        expect(Number.isInteger(b[k]), `${b.title} ${k}`).toBe(true);
      expect(b.x as number, b.title).toBeGreaterThanOrEqual(0);
      expect(b.y as number, b.title).toBeGreaterThanOrEqual(0);
      expect(b.w as number, b.title).toBeGreaterThanOrEqual(1);
      expect(b.h as number, b.title).toBeGreaterThanOrEqual(1);
      expect((b.x as number) + (b.w as number), `${b.title} ends past column 24`).toBeLessThanOrEqual(24);
    }
    const overlaps: string[] = [];
    boxes.forEach((a, i) => {
      for (const b of boxes.slice(i + 1)) {
        const apart =
          (a.x as number) + (a.w as number) <= (b.x as number) ||
          (b.x as number) + (b.w as number) <= (a.x as number) ||
          (a.y as number) + (a.h as number) <= (b.y as number) ||
          (b.y as number) + (b.h as number) <= (a.y as number);
        if (!apart) overlaps.push(`"${a.title}" and "${b.title}"`);
      }
    });
    expect(overlaps).toEqual([]);
  });

  it.each(FILES)(
    '$file: data sources referenced as {type, uid} of a provisioned one; refIds unique',
    ({ json }) => {
      const provisioned = DATASOURCES.map((d) => `${d.type}/${d.uid}`);
      const refs: { what: string; ref: unknown }[] = [];
      for (const p of allPanels(json)) {
        if (p.type === 'text' || p.type === 'row') continue;
        refs.push({ what: `panel "${p.title}"`, ref: p.datasource });
        for (const t of p.targets ?? [])
          refs.push({ what: `panel "${p.title}" query ${t.refId}`, ref: t.datasource });
        const refIds = (p.targets ?? []).map((t) => t.refId);
        for (const r of refIds) expect(r, `panel "${p.title}" refId`).toMatch(/^\S+$/);
        expect(new Set(refIds).size, `panel "${p.title}" refIds`).toBe(refIds.length);
      }
      for (const v of json.templating?.list ?? [])
        if (v.type === 'query') refs.push({ what: `variable ${v.name}`, ref: v.datasource });
      for (const a of json.annotations?.list ?? [])
        if (!a.builtIn) refs.push({ what: `annotation ${a.name}`, ref: a.datasource });
      for (const { what, ref } of refs) {
        // A string (a data source's name, Grafana's old form) resolves by name on the importing instance.
        expect(typeof ref, what).toBe('object');
        const { type, uid } = ref as Ref;
        expect(provisioned, what).toContain(`${type}/${uid}`);
      }
    },
  );

  it.each(FILES)('$file: data links open one of our dashboards with variables it has', ({ json }) => {
    const links = allPanels(json).flatMap((p) =>
      [...JSON.stringify(p.fieldConfig ?? {}).matchAll(/"url":"(\/d\/[^"]+)"/g)].map((m) => ({
        panel: p.title,
        url: m[1] as string,
      })),
    );
    for (const { panel, url } of links) {
      const [path, query = ''] = url.split('?');
      const target = FILES.find((f) => path?.startsWith(`/d/${f.json.uid}/`))?.json;
      expect(target, `"${panel}": ${path} is none of the generated dashboards`).toBeDefined();
      const names = (target?.templating?.list ?? []).map((v) => v.name);
      for (const param of query.split('&').filter((q) => q.startsWith('var-')))
        expect(names, `"${panel}": ${param}`).toContain(param.slice(4).split('=')[0]);
    }
  });

  it.each(FILES)('$file: template variables Grafana can resolve', ({ json }) => {
    const list = json.templating?.list ?? [];
    expect(new Set(list.map((v) => v.name)).size).toBe(list.length);
    for (const v of list) {
      expect(v.name, 'variable name').toMatch(/^[a-zA-Z_]\w*$/);
      expect(['query', 'custom'], `${v.name}: a type our dashboards use`).toContain(v.type);
      if (v.type === 'query') {
        expect(typeof v.query, `${v.name}: query`).toBe('string');
        expect(String(v.query).trim(), `${v.name}: query`).not.toBe('');
        // 1: on load, 2: on time range change; 0 would never fill the options of a provisioned dashboard.
        expect([1, 2], `${v.name}: refresh`).toContain(v.refresh);
      } else {
        const values = (v.options ?? []).map((o) => o.value);
        expect(values.length, `${v.name}: options`).toBeGreaterThan(0);
        // Grafana rebuilds a custom variable's options from its query: comma-separated values, each
        // `text : value` or a value that is its own text.
        const fromQuery = String(v.query)
          .split(',')
          .map((item) => {
            const [text, value] = item.split(/\s:\s/).map((s) => s.trim());
            return { text, value: value ?? text };
          });
        expect(fromQuery, `${v.name}: query lists the options`).toEqual(
          (v.options ?? []).map((o) => ({ text: o.text, value: o.value })),
        );
      }
      if (v.current) {
        const current = ([] as string[]).concat(v.current.value);
        expect(
          Array.isArray(v.current.value),
          `${v.name}: a multi-value variable's current value is a list`,
        ).toBe(Boolean(v.multi) && current[0] !== '$__all');
        for (const c of current) {
          if (c === '$__all') expect(v.includeAll, `${v.name}: All without includeAll`).toBe(true);
          else if (v.type === 'custom')
            expect(
              (v.options ?? []).map((o) => o.value),
              v.name,
            ).toContain(c);
        }
      }
    }
  });
});
