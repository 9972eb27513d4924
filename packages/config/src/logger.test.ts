import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What a newcomer sees in the terminal (issue 10, defect 12): log lines that read as text and stay in
 * order with what the process prints on stdout (the `start` banner), and JSON lines for machines.
 * Each case runs a small process whose stdout and stderr go to one file, as in a terminal.
 */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-logger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(pretty: boolean | undefined): string[] {
  const script = join(dir, `log-${String(pretty)}.mts`);
  writeFileSync(
    script,
    `import { createLogger } from ${JSON.stringify(join(import.meta.dirname, 'logger.ts'))};
const logger = createLogger('info', ${pretty === undefined ? '{}' : `{ pretty: ${pretty} }`});
logger.info({ port: 8080, password: 'hunter2' }, 'listening');
process.stdout.write('BANNER: Shewhart is running\\n');
logger.warn('after the banner');
`,
  );
  const out = join(dir, `out-${String(pretty)}.txt`);
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
  } finally {
    closeSync(fd);
  }
  return readFileSync(out, 'utf8').trimEnd().split('\n');
}

describe('createLogger', () => {
  it('prints readable lines in order with stdout when pretty (a terminal)', () => {
    const lines = run(true);
    expect(lines[0]).toMatch(/INFO.*\(shewhart\): listening$/);
    expect(lines.slice(1, 3).join('\n')).toMatch(/port: 8080\n\s+password: "\[redacted\]"/);
    expect(lines[3]).toBe('BANNER: Shewhart is running');
    expect(lines[4]).toMatch(/WARN.*after the banner$/);
    expect(lines).toHaveLength(5);
  });

  it('prints JSON lines, in order too, when not a terminal', () => {
    for (const lines of [run(false), run(undefined)]) {
      expect(lines).toHaveLength(3);
      expect(JSON.parse(lines[0] as string)).toMatchObject({
        level: 30,
        name: 'shewhart',
        msg: 'listening',
        port: 8080,
        password: '[redacted]',
      });
      expect(lines[1]).toBe('BANNER: Shewhart is running');
      expect(JSON.parse(lines[2] as string)).toMatchObject({ level: 40, msg: 'after the banner' });
    }
  });
});
