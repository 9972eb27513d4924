import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/**
 * The configuration file (`SHEWHART_CONFIG`, YAML, kept in version control): `version` and one section
 * per concern — `objectives` (quality objectives), `alerts` (routes and rules), `sources` (connector
 * mappings). Each package that owns a section declares it (`Section`); this module reads the file once
 * and reports every problem with the file, line and field.
 *
 * Version 1 files hold objectives only; version 2 adds the other sections. A section not asked for is
 * ignored (the CLI's `objectives --config` reads only objectives), an unknown top-level key is refused.
 */
export const KNOWN_SECTIONS = ['objectives', 'alerts', 'sources'] as const;
export type SectionName = (typeof KNOWN_SECTIONS)[number];

export interface FileProblem {
  line: number | null;
  path: string;
  message: string;
}

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    readonly file: string,
    readonly problems: FileProblem[],
  ) {
    super(
      `invalid configuration file ${file}:\n${problems
        .map((p) => `  ${file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`)
        .join('\n')}`,
    );
  }
}

/** Reports a problem at a path inside the section (`['routes', 2, 'url']`). */
export type Report = (path: (string | number)[], message: string) => void;

/** One section of the file: its schema, and the checks that need more than the schema (known KPI ids…). */
export interface Section<T> {
  schema: z.ZodType<T>;
  /** Runs once the whole file parsed; `sections` has the other sections' parsed values. */
  check?(value: T, report: Report, sections: Partial<Record<SectionName, unknown>>): void;
}

type Parsed<S extends Partial<Record<SectionName, Section<unknown>>>> = {
  version: 1 | 2;
} & { [K in keyof S]: S[K] extends Section<infer T> ? T | undefined : never };

export function loadConfigFile<S extends Partial<Record<SectionName, Section<unknown>>>>(
  file: string,
  sections: S,
): Parsed<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigFileError(file, [{ line: null, path: '', message: (error as Error).message }]);
  }
  return parseConfigFile(text, file, sections);
}

export function parseConfigFile<S extends Partial<Record<SectionName, Section<unknown>>>>(
  text: string,
  file: string,
  sections: S,
): Parsed<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? null,
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const lineOf = (path: (string | number)[]): number | null => {
    for (let k = path.length; k >= 0; k--) {
      const node = doc.getIn(path.slice(0, k), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return null;
  };
  const problems: FileProblem[] = [];
  const report = (path: (string | number)[], message: string) =>
    problems.push({ line: lineOf(path), path: dotted(path), message });

  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigFileError(file, [{ line: 1, path: '', message: 'must be a mapping of sections' }]);
  }
  const version = raw.version ?? 1;
  if (version !== 1 && version !== 2) report(['version'], 'must be 1 or 2');
  for (const key of Object.keys(raw)) {
    if (key === 'version') continue;
    if (!(KNOWN_SECTIONS as readonly string[]).includes(key)) {
      report([key], `unknown section (known: version, ${KNOWN_SECTIONS.join(', ')})`);
    } else if (version === 1 && key !== 'objectives') {
      report([key], 'needs `version: 2` (version 1 files hold objectives only)');
    }
  }
  const values: Partial<Record<SectionName, unknown>> = {};
  for (const [name, section] of Object.entries(sections) as [SectionName, Section<unknown>][]) {
    if (raw[name] === undefined) continue;
    const parsed = section.schema.safeParse(raw[name]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        report([name, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], issue.message);
      }
    } else values[name] = parsed.data;
  }
  if (problems.length === 0) {
    for (const [name, section] of Object.entries(sections) as [SectionName, Section<unknown>][]) {
      if (values[name] !== undefined)
        section.check?.(values[name], (p, m) => report([name, ...p], m), values);
    }
  }
  if (problems.length > 0) throw new ConfigFileError(file, problems);
  return { version, ...values } as Parsed<S>;
}

function dotted(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
