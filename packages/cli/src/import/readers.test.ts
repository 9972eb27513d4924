import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSource, type Problem } from './importer.js';
import { type ImportRecord, openSource } from './readers.js';

const dir = mkdtempSync(join(tmpdir(), 'shewhart-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function records(path: string): Promise<ImportRecord[]> {
  const out: ImportRecord[] = [];
  for await (const r of openSource(path, 'csv').records(() => {})) out.push(r);
  return out;
}

const header = 'id,source,type,time,team,data.deploymentId,data.environment,data.status';
const row = (id: string, status = 'success') =>
  `${id},ci/main,delivery.deployment,2026-03-02T12:00:00Z,payments,${id},production,${status}`;

describe('CSV reader: a ragged row is one invalid record, not the end of the file', () => {
  it('reports a row with too few or too many fields with its file and line, and reads on', async () => {
    const path = file(
      'ragged.csv',
      [
        header,
        row('d1'),
        row('d2'),
        'd3,ci/main,delivery.deployment',
        row('d4'),
        `${row('d5')},extra`,
        row('d6'),
      ].join('\n'),
    );
    const out = await records(path);
    expect(out.map((r) => r.where)).toEqual([2, 3, 4, 5, 6, 7].map((l) => `${path}:${l}`));
    expect(out.filter((r) => 'error' in r)).toEqual([
      { where: `${path}:4`, error: 'the row has 3 fields but the header has 8' },
      { where: `${path}:6`, error: 'the row has 9 fields but the header has 8' },
    ]);
    expect(out.filter((r) => 'value' in r).map((r) => ('value' in r ? r.value : null))).toMatchObject(
      ['d1', 'd2', 'd4', 'd6'].map((id) => ({ id, data: { deploymentId: id, status: 'success' } })),
    );
  });

  it('keeps going after a stray quote, naming its line', async () => {
    const path = file(
      'quote.csv',
      [header, row('q1'), row('q2').replace('ci/main', 'ci/"main'), row('q3')].join('\n'),
    );
    const out = await records(path);
    expect(out.map((r) => r.where)).toEqual([2, 3, 4].map((l) => `${path}:${l}`));
    expect(out[1]).toMatchObject({
      error: expect.stringMatching(/^not a valid CSV row: Invalid Opening Quote/),
    });
    expect(out.filter((r) => 'value' in r)).toHaveLength(2);
  });

  it('reports a quote left open at the end of the file as an invalid record of that file', async () => {
    const path = file('open-quote.csv', [header, row('o1'), 'o2,"ci/main'].join('\n'));
    const out = await records(path);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({
      where: `${path}:3`,
      error: expect.stringMatching(/Quote Not Closed/),
    });
  });

  it('counts the ragged row as invalid in the import summary (exit 2 path) and validates the rest', async () => {
    const path = file('summary.csv', [header, row('s1'), 's2,ci/main', row('s3', 'failed')].join('\r\n'));
    const problems: Problem[] = [];
    const summary = await importSource(openSource(path, 'csv'), undefined, {
      batchSize: 10,
      onProblem: (p) => problems.push(p),
    });
    expect(summary).toMatchObject({ records: 3, valid: 2, invalid: 1 });
    expect(problems).toEqual([{ where: `${path}:3`, message: 'the row has 2 fields but the header has 8' }]);
  });
});
