import { readFileSync } from 'node:fs';
import { ConfigFileError, parseConfigFile } from '@shewhart/config';
import { describe, expect, it } from 'vitest';
import { resolveSecrets, SOURCES_SECTION, webhookSources } from './sources.section.js';

const parse = (text: string) => parseConfigFile(text, 'shewhart.yaml', { sources: SOURCES_SECTION }).sources;

const EXAMPLE = `version: 2
sources:
  defaultTeam: unassigned
  github:
    secretEnv: SHEWHART_GITHUB_SECRET
    repositories: { "acme/payments-api": { team: payments, project: api } }
    productionEnvironments: [production, "prod-*"]
    defectLabels: [bug]
    severityLabels: { "sev:critical": critical, "sev:major": major, "sev:minor": minor }
  gitlab:
    tokenEnv: SHEWHART_GITLAB_TOKEN
    projects: { "acme/mobile-app": { team: mobile } }
  jira:
    secretEnv: SHEWHART_JIRA_SECRET
    projects: { PAY: { team: payments } }
    defectIssueTypes: [Bug]
`;

describe('the sources section', () => {
  it('reads the documented example as written, with defaults for the rest', () => {
    const s = parse(EXAMPLE);
    expect(s?.github?.repositories['acme/payments-api']).toEqual({ team: 'payments', project: 'api' });
    expect(s?.github?.severityLabels['sev:critical']).toBe('critical');
    expect(s?.github?.apiUrl).toBe('https://api.github.com');
    expect(s?.gitlab?.projects['acme/mobile-app']).toEqual({ team: 'mobile' });
    expect(s?.jira?.severity.field).toBe('priority');
  });

  it('names file, line and field of each problem', () => {
    const bad = EXAMPLE.replace('sev:major": major', 'sev:major": huge').replace(
      'projects: { PAY: { team: payments } }',
      'projects: { PAY: { team: payments, tean: x } }',
    );
    try {
      parse(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigFileError);
      const message = (error as Error).message;
      expect(message).toContain('shewhart.yaml:9: sources.github.severityLabels.sev:major: ');
      expect(message).toContain('shewhart.yaml:15: sources.jira.projects.PAY');
    }
  });

  it('refuses a secret written in the file instead of the name of its variable', () => {
    expect(() =>
      parse(EXAMPLE.replace('secretEnv: SHEWHART_GITHUB_SECRET', 'secretEnv: "hunter2 is my secret!"')),
    ).toThrow(/shewhart.yaml:5: sources.github.secretEnv: must name an environment variable/);
  });

  it('needs version 2', () => {
    expect(() => parse(EXAMPLE.replace('version: 2', 'version: 1'))).toThrow(/needs `version: 2`/);
  });

  it('resolves secrets from the environment; unset or empty stays undefined', () => {
    const s = parse(EXAMPLE);
    const env: Record<string, string> = { SHEWHART_GITHUB_SECRET: 'gh', SHEWHART_GITLAB_TOKEN: ' ' };
    const secrets = resolveSecrets(s, env);
    expect(secrets.github?.reveal()).toBe('gh');
    expect(secrets.gitlab).toBeUndefined();
    expect(secrets.jira).toBeUndefined();
    // Logged or serialised whole, the secrets do not show.
    expect(JSON.stringify(secrets)).not.toContain('gh"');
    expect(String(secrets.github)).toBe('[secret]');
  });
});

describe('infra/config/shewhart.example.yaml', () => {
  const path = new URL('../../../infra/config/shewhart.example.yaml', import.meta.url);
  const text = readFileSync(path, 'utf8');
  const sources = parse(text);

  it('has a sources section for the demo teams that names its secrets by variable only', () => {
    expect(sources?.github?.repositories['acme/payments-api']).toEqual({ team: 'payments', project: 'api' });
    expect(sources?.gitlab?.projects['acme/mobile-app']).toEqual({ team: 'mobile' });
    expect(sources?.jira?.projects.PAY).toEqual({ team: 'payments' });
    const names = [sources?.github?.secretEnv, sources?.gitlab?.tokenEnv, sources?.jira?.secretEnv];
    for (const name of names) expect(name).toMatch(/^SHEWHART_[A-Z_]+$/);
    // Nothing in the section but variable names could hold a secret.
    const section = text
      .slice(text.indexOf('\nsources:'))
      .split('\n')
      .map((line) => line.replace(/#.*$/, ''))
      .join('\n');
    expect(section).not.toMatch(/(secret|token)\s*:/i);
  });

  it('names each tool whose secret is not set, in one warning, and none once they are', () => {
    const unset = webhookSources(sources, {});
    expect(unset.unverifiable.map((u) => u.tool)).toEqual(['github', 'gitlab', 'jira']);
    expect(unset.warning).toContain('SHEWHART_GITHUB_SECRET (sources.github.secretEnv)');
    expect(unset.warning).toContain('SHEWHART_JIRA_SECRET (sources.jira.secretEnv)');
    expect(webhookSources(sources, { SHEWHART_GITHUB_SECRET: 'a', SHEWHART_GITLAB_TOKEN: 'b' }).warning).toBe(
      'webhooks from jira are refused (401) until SHEWHART_JIRA_SECRET (sources.jira.secretEnv) is set; see docs/connectors/',
    );
    const env = {
      SHEWHART_GITHUB_SECRET: 'a',
      SHEWHART_GITLAB_TOKEN: 'b',
      SHEWHART_JIRA_SECRET: 'c',
    };
    expect(webhookSources(sources, env).warning).toBeUndefined();
  });
});
