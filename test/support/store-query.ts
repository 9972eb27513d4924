/**
 * `node --import tsx test/support/store-query.ts <dataDir> <sql>...`: runs read queries against an
 * embedded store and prints one JSON array of row arrays. A separate process because chdb binds one
 * data directory per process, and a test reads the directories of several workers.
 */
import { openWarehouse } from '@shewhart/warehouse';

const [dataDir, ...queries] = process.argv.slice(2);
if (!dataDir || queries.length === 0) {
  process.stderr.write('usage: store-query.ts <dataDir> <sql>...\n');
  process.exit(2);
}
const warehouse = await openWarehouse({ database: 'shewhart', dataDir });
try {
  const results: unknown[] = [];
  for (const query of queries) {
    const rs = await warehouse.client.query({ query, format: 'JSONEachRow' });
    results.push(await rs.json());
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  await warehouse.close();
}
