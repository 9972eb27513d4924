import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@shewhart/config';
import { loadObjectivesFile, ObjectiveService } from '@shewhart/objectives';

/** The objectives of `SHEWHART_CONFIG` (or `--config`) over a directly opened warehouse. */
export function objectiveServiceFor(
  client: ClickHouseClient,
  config: AppConfig,
): ObjectiveService | undefined {
  return config.objectivesFile
    ? new ObjectiveService(client, loadObjectivesFile(config.objectivesFile))
    : undefined;
}
