/**
 * The deployment recipe, checked statically (no container runtime here): the compose file, the Grafana
 * provisioning and the Dockerfile parse; every environment variable an app service gets is one
 * packages/config knows; every host path they mount or copy exists; the provisioned data sources are the
 * ones the dashboards name; Prometheus scrapes the collector and every worker on the ports they listen on,
 * under the job names the dashboards read, with a configuration `promtool check config` accepts; and the
 * read-only user's SQL parses as ClickHouse SQL.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvSchema } from '@shewhart/config';
import { openKpiWarehouse } from '@shewhart/kpi/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCRAPE_JOBS } from './dashboards/pipeline-health.dashboard.js';
import { DATASOURCE, DATASOURCES, PROMETHEUS } from './datasource.js';
import { promtoolCheckConfig } from './prometheus-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_DIR = join(ROOT, 'infra/compose');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(read('infra/compose/compose.yaml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const APP_SERVICES = ['worker', 'collector'];

describe('compose file', () => {
  it('brings up Kafka, ClickHouse, Redis, the workers, the collector, Prometheus and Grafana, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'clickhouse',
      'collector',
      'grafana',
      'kafka',
      'prometheus',
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

  it('provisions the data sources the dashboards name, and fills every ${VAR} from the environment Grafana gets', () => {
    const text = read('infra/grafana/provisioning/datasources/shewhart.yaml');
    const ds = (parse(text) as { datasources: { type: string; uid: string; url?: string }[] }).datasources;
    expect(ds).toEqual(DATASOURCES.map((d) => expect.objectContaining({ type: d.type, uid: d.uid })));
    expect(ds.map((d) => d.uid)).toEqual([DATASOURCE.uid, PROMETHEUS.uid]);
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

describe('Prometheus', () => {
  interface ScrapeConfig {
    job_name: string;
    metrics_path?: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }
  const prometheus = compose.services.prometheus as Service;
  const configFlag = prometheus.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1];
  const configMount = prometheus.volumes?.find((v) => v.split(':')[1] === configFlag) as string;
  const config = parse(readFileSync(join(COMPOSE_DIR, configMount.split(':')[0] as string), 'utf8')) as {
    global: { scrape_interval: string };
    scrape_configs: ScrapeConfig[];
  };
  const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name) as ScrapeConfig;
  const envPort = (service: string, variable: string) =>
    Number(compose.services[service]?.environment?.[variable]);

  it('reads the scrape configuration it mounts, and keeps its data on a named volume', () => {
    expect(configFlag).toBe('/etc/prometheus/prometheus.yml');
    const storage = prometheus.command?.find((c) => c.startsWith('--storage.tsdb.path='))?.split('=')[1];
    const dataVolume = prometheus.volumes?.find((v) => v.split(':')[1] === storage) as string;
    expect(Object.keys(compose.volumes)).toContain(dataVolume.split(':')[0]);
    expect(prometheus.healthcheck?.test.join(' ')).toContain('/-/ready');
  });

  it('scrapes the collector and every worker replica on the ports they listen on, as the jobs the dashboards read', () => {
    expect(config.scrape_configs.map((j) => j.job_name).sort()).toEqual(Object.values(SCRAPE_JOBS).sort());
    const collector = job(SCRAPE_JOBS.collector);
    expect(collector.metrics_path).toBe('/metrics');
    expect(collector.static_configs?.[0]?.targets).toEqual([`collector:${envPort('collector', 'PORT')}`]);
    // Workers scale (--scale worker=N): one target per A record of the service name.
    const worker = job(SCRAPE_JOBS.worker);
    expect(worker.metrics_path).toBe('/metrics');
    expect(worker.dns_sd_configs).toEqual([
      expect.objectContaining({
        names: ['worker'],
        type: 'A',
        port: envPort('worker', 'SHEWHART_WORKER_PORT'),
      }),
    ]);
  });

  it("is a configuration Prometheus accepts (promtool check config, Debian's package that .ci/run installs)", async () => {
    const { code, output } = await promtoolCheckConfig(
      join(COMPOSE_DIR, configMount.split(':')[0] as string),
    );
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
    // The check has teeth: a duration without its unit is refused.
    const dir = mkdtempSync(join(tmpdir(), 'shewhart-promtool-'));
    try {
      writeFileSync(join(dir, 'broken.yml'), 'global:\n  scrape_interval: 15\n');
      const broken = await promtoolCheckConfig(join(dir, 'broken.yml'));
      expect(broken.code).not.toBe(0);
      expect(broken.output).toMatch(/FAILED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the data source Grafana gets, at the scrape interval the data source assumes', () => {
    const ds = (
      parse(read('infra/grafana/provisioning/datasources/shewhart.yaml')) as {
        datasources: { uid: string; url: string; jsonData: { timeInterval: string } }[];
      }
    ).datasources.find((d) => d.uid === PROMETHEUS.uid);
    expect(ds?.url).toBe('${SHEWHART_PROMETHEUS_URL}');
    expect(compose.services.grafana?.environment?.SHEWHART_PROMETHEUS_URL).toBe('http://prometheus:9090');
    expect(compose.services.grafana?.depends_on?.prometheus?.condition).toBe('service_healthy');
    expect(ds?.jsonData.timeInterval).toBe(config.global.scrape_interval);
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
