import { ConfigFileError, parseConfigFile } from '@shewhart/config';
import { OBJECTIVES_SECTION } from '@shewhart/objectives';
import { describe, expect, it } from 'vitest';
import { ALERTS_SECTION } from './config.js';

const parse = (text: string) =>
  parseConfigFile(text, 'shewhart.yaml', { objectives: OBJECTIVES_SECTION, alerts: ALERTS_SECTION });

const problems = (text: string): string => {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigFileError) return error.message;
    throw error;
  }
  throw new Error('expected the file to be refused');
};

const VALID = `version: 2
alerts:
  routes:
    - id: local
      type: webhook
      url: http://127.0.0.1:9000/hooks
      secretEnv: PATH
  rules:
    - id: specials
      class: signal
      kpis: [change_failure_rate]
      routes: [local]
`;

describe('ALERTS_SECTION', () => {
  it('reads routes and rules with their defaults', () => {
    const file = parse(VALID);
    expect(file.alerts?.routes[0]?.retry).toEqual({ attempts: 8, backoffMs: 1000 });
    expect(file.alerts?.rules[0]).toMatchObject({ severity: 'warning', quietPoints: 8 });
  });

  it('names file, line and field of an unknown KPI, route and variable', () => {
    const text = VALID.replace('secretEnv: PATH', 'secretEnv: SHEWHART_TEST_NO_SUCH_VARIABLE')
      .replace('kpis: [change_failure_rate]', 'kpis: [change_failure_rat]')
      .replace('routes: [local]', 'routes: [locl]');
    const message = problems(text);
    expect(message).toContain(
      'shewhart.yaml:7: alerts.routes[0].secretEnv: environment variable SHEWHART_TEST_NO_SUCH_VARIABLE is not set',
    );
    expect(message).toContain('shewhart.yaml:11: alerts.rules[0].kpis[0]: unknown KPI "change_failure_rat"');
    expect(message).toContain('shewhart.yaml:12: alerts.rules[0].routes[0]: unknown route "locl"');
  });

  it('refuses alerts in a version 1 file and a webhook without a signing key', () => {
    expect(problems(VALID.replace('version: 2', 'version: 1'))).toContain('alerts: needs `version: 2`');
    expect(problems(VALID.replace('      secretEnv: PATH\n', ''))).toContain(
      'shewhart.yaml:4: alerts.routes[0].secretEnv: is required for a webhook',
    );
  });
});
