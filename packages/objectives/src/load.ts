import { ConfigFileError, loadConfigFile, parseConfigFile, type Section } from '@shewhart/config';
import { findKpi } from '@shewhart/kpi';
import { type Objective, ObjectivesSection } from './schema.js';

/** A configuration file with problems (the file, line and field of each); kept under its old name. */
export { ConfigFileError as ObjectivesFileError };

/**
 * The `objectives` section of the configuration file: the schema, then what the schema cannot know —
 * that each KPI exists and that a size unit or phase is one the KPI has.
 */
export const OBJECTIVES_SECTION: Section<Objective[]> = {
  schema: ObjectivesSection,
  check(objectives, report) {
    objectives.forEach((o, i) => {
      const kpi = findKpi(o.kpi);
      if (!kpi) {
        report([i, 'kpi'], `unknown KPI "${o.kpi}"`);
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
        report([i, dim.name], `must be one of: ${dim.values.join(', ')}`);
      }
    });
  },
};

/** Reads the objectives of a configuration file; every problem names the file, line and field. */
export function loadObjectivesFile(file: string): Objective[] {
  return loadConfigFile(file, { objectives: OBJECTIVES_SECTION }).objectives ?? [];
}

export function parseObjectives(text: string, file = 'objectives.yaml'): Objective[] {
  return parseConfigFile(text, file, { objectives: OBJECTIVES_SECTION }).objectives ?? [];
}
