import { readFileSync } from 'node:fs';
import { findKpi } from '@shewhart/kpi';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { type Objective, ObjectivesFile } from './schema.js';

export class ObjectivesFileError extends Error {
  override readonly name = 'ObjectivesFileError';
  constructor(
    readonly file: string,
    readonly problems: { line: number | null; path: string; message: string }[],
  ) {
    super(
      `invalid objectives file ${file}:\n${problems
        .map((p) => `  ${file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`)
        .join('\n')}`,
    );
  }
}

/** Reads and validates an objectives file; every problem names the file, line and field. */
export function loadObjectivesFile(file: string): Objective[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ObjectivesFileError(file, [{ line: null, path: '', message: (error as Error).message }]);
  }
  return parseObjectives(text, file);
}

export function parseObjectives(text: string, file = 'objectives.yaml'): Objective[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ObjectivesFileError(
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
  const parsed = ObjectivesFile.safeParse(doc.toJS() ?? {});
  const problems: { line: number | null; path: string; message: string }[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      problems.push({ line: lineOf(path), path: dotted(path), message: issue.message });
    }
    throw new ObjectivesFileError(file, problems);
  }
  parsed.data.objectives.forEach((o, i) => {
    const kpi = findKpi(o.kpi);
    if (!kpi) {
      problems.push({
        line: lineOf(['objectives', i, 'kpi']),
        path: `objectives[${i}].kpi`,
        message: `unknown KPI "${o.kpi}"`,
      });
      return;
    }
    const dim = kpi.dimension;
    const given = dim
      ? dim.name === 'unit'
        ? o.unit
        : dim.name === 'phase'
          ? o.phase
          : undefined
      : undefined;
    if (dim && given !== undefined && !dim.values.includes(given)) {
      problems.push({
        line: lineOf(['objectives', i, dim.name]),
        path: `objectives[${i}].${dim.name}`,
        message: `must be one of: ${dim.values.join(', ')}`,
      });
    }
  });
  if (problems.length > 0) throw new ObjectivesFileError(file, problems);
  return parsed.data.objectives;
}

function dotted(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
