import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigFileError, parseConfigFile, type Section } from './file.js';

const routes: Section<{ id: string; url: string }[]> = {
  schema: z.array(z.object({ id: z.string(), url: z.url() }).strict()),
  check(list, report, sections) {
    const known = (sections.objectives as string[] | undefined) ?? [];
    list.forEach((r, i) => {
      if (!known.includes(r.id)) report([i, 'id'], `unknown id "${r.id}"`);
    });
  },
};
const names: Section<string[]> = { schema: z.array(z.string()) };

function problems(text: string, sections: Record<string, Section<unknown>>) {
  try {
    parseConfigFile(text, 'shewhart.yaml', sections);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return (error as ConfigFileError).problems;
  }
  return [];
}

describe('the configuration file', () => {
  it('reads the sections asked for and ignores the others', () => {
    const parsed = parseConfigFile(
      'version: 2\nobjectives: [a]\nalerts: [{ id: a, url: "http://x" }]\n',
      'f',
      {
        objectives: names,
      },
    );
    expect(parsed).toEqual({ version: 2, objectives: ['a'] });
  });

  it('names the file, line and field of every problem, in every section', () => {
    const p = problems('version: 2\nobjectives: [a]\nalerts:\n  - id: b\n    url: nope\n', {
      objectives: names,
      alerts: routes as Section<unknown>,
    });
    expect(p).toEqual([expect.objectContaining({ line: 5, path: 'alerts[0].url' })]);
  });

  it('runs cross-section checks once every section parsed', () => {
    const p = problems('version: 2\nobjectives: [a]\nalerts:\n  - { id: b, url: "http://x" }\n', {
      objectives: names,
      alerts: routes as Section<unknown>,
    });
    expect(p).toEqual([{ line: 4, path: 'alerts[0].id', message: 'unknown id "b"' }]);
  });

  it('keeps version 1 files to objectives and refuses unknown sections', () => {
    expect(problems('alerts: []\n', { objectives: names })).toEqual([
      expect.objectContaining({ line: 1, path: 'alerts', message: expect.stringContaining('version: 2') }),
    ]);
    expect(problems('version: 2\nalert: []\n', { objectives: names })).toEqual([
      expect.objectContaining({ path: 'alert', message: expect.stringContaining('unknown section') }),
    ]);
    expect(problems('version: 3\n', {})).toEqual([expect.objectContaining({ path: 'version' })]);
    expect(problems('objectives: [\n', { objectives: names })[0]?.message).toMatch(/flow|end|\]/i);
  });
});
