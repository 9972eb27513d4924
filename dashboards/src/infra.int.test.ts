/**
 * The deployment recipe, checked statically (no container runtime here): the compose file, the Grafana
 * provisioning and the Dockerfile parse; every environment variable an app service gets is one
 * packages/config knows; every host path they mount or copy exists; the provisioned data source is the
 * one the dashboards name; and the read-only user's SQL parses as ClickHouse SQL.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvSchema } from '@shewhart/config';
import { openKpiWarehouse } from '@shewhart/kpi/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE } from './datasource.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_DIR = join(ROOT, 'infra/compose');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  healthcheck?: { test: string[] };
}
const compose = parse(read('infra/compose/compose.yaml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const APP_SERVICES = ['worker', 'collector'];

describe('compose file', () => {
  it('brings up Kafka, ClickHouse, Redis, the workers, the collector and Grafana, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'clickhouse',
      'collector',
      'grafana',
      'kafka',
      'redis',
      'worker',
    ]);
    for (const [name, s] of Object.entries(compose.services)) expect(s.healthcheck?.test, name).toBeDefined();
  });

  it('gives the app services only variables packages/config knows', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const name of APP_SERVICES) {
      const env = Object.keys(compose.services[name]?.environment ?? {});
      expect(env.length, name).toBeGreaterThan(0);
      expect(
        env.filter((k) => !known.has(k)),
        name,
      ).toEqual([]);
    }
  });

  it('runs entry points that exist, built by a Dockerfile that exists', () => {
    for (const name of APP_SERVICES) {
      const s = compose.services[name] as Service;
      expect(existsSync(join(COMPOSE_DIR, s.build?.context ?? '', s.build?.dockerfile ?? ''))).toBe(true);
      const entry = s.command?.find((c) => c.endsWith('.ts')) as string;
      expect(existsSync(join(ROOT, entry)), entry).toBe(true);
    }
  });

  it('mounts host paths that exist, and named volumes it declares', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] as string;
        if (source.startsWith('.'))
          expect(existsSync(join(COMPOSE_DIR, source)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: ${source}`).toContain(source);
      }
    }
  });

  it('mounts the generated dashboards where the provider loads them', () => {
    const provider = parse(read('infra/grafana/provisioning/dashboards/shewhart.yaml')) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]?.options.path;
    const mount = compose.services.grafana?.volumes?.find((v) => v.split(':')[1] === path);
    expect(mount?.split(':')[0]).toBe('../../dashboards/generated');
    expect(
      readdirSync(join(COMPOSE_DIR, '../../dashboards/generated')).filter((f) => f.endsWith('.json')).length,
    ).toBe(7);
  });

  it('fills every ${VAR} of the data source from the environment Grafana gets', () => {
    const text = read('infra/grafana/provisioning/datasources/shewhart.yaml');
    const ds = (parse(text) as { datasources: { type: string; uid: string }[] }).datasources;
    expect(ds).toEqual([expect.objectContaining({ type: DATASOURCE.type, uid: DATASOURCE.uid })]);
    const settings = text
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n');
    const vars = [...settings.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) expect(Object.keys(compose.services.grafana?.environment ?? {})).toContain(v);
    expect(compose.services.grafana?.environment?.GF_INSTALL_PLUGINS).toBe('grafana-clickhouse-datasource');
  });
});

describe('Dockerfile', () => {
  it('copies paths that exist', () => {
    const lines = read('infra/docker/Dockerfile')
      .split('\n')
      .filter((l) => l.startsWith('COPY '));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const parts = l.split(/\s+/).slice(1, -1);
      for (const p of parts) expect(existsSync(join(ROOT, p)), p).toBe(true);
    }
  });
});

describe('read-only ClickHouse user', () => {
  it('is SQL ClickHouse parses, read-only with time, row and memory limits', async () => {
    const sql = read('infra/grafana/clickhouse/grafana-reader.sql')
      .replaceAll('{user}', 'grafana_reader')
      .replaceAll('{database}', 'shewhart')
      .replaceAll('{password}', 'secret');
    expect(sql).toMatch(/readonly = 1/);
    expect(sql).toMatch(/max_execution_time = \d+ MIN 1 MAX \d+ CHANGEABLE_IN_READONLY/);
    expect(sql).toMatch(/max_result_rows = \d+/);
    const statements = sql
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    expect(statements).toHaveLength(3);
    const kw = await openKpiWarehouse();
    try {
      for (const s of statements) {
        // formatQuery parses a statement with the server's grammar without running it.
        const rs = await kw.client.query({
          query: 'SELECT formatQuery({q:String}) AS f',
          query_params: { q: s },
          format: 'JSONEachRow',
        });
        const [row] = await rs.json<{ f: string }>();
        expect(row?.f.length, s).toBeGreaterThan(0);
      }
    } finally {
      await kw.dispose();
    }
  });
});
