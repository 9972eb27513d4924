import type { AppConfig } from '@shewhart/config';
import type { EntityStates } from '@shewhart/kpi';
import { loadObjectivesFile, ObjectiveService } from '@shewhart/objectives';

/** The objectives of `SHEWHART_CONFIG` (or `--config`) over a directly opened warehouse. */
export function objectiveServiceFor(states: EntityStates, config: AppConfig): ObjectiveService | undefined {
  return config.objectivesFile
    ? new ObjectiveService(states, loadObjectivesFile(config.objectivesFile))
    : undefined;
}
