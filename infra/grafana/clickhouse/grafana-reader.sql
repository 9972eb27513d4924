-- The ClickHouse user Grafana queries as: read-only (readonly = 1), on the Shewhart database only, with
-- limits on time, result size and memory. The ClickHouse plugin sets max_execution_time on every query,
-- so that one setting stays changeable in read-only mode, within bounds. {database}, {user} and
-- {password} are replaced by create-grafana-reader.sh.
CREATE SETTINGS PROFILE OR REPLACE shewhart_grafana SETTINGS
    readonly = 1,
    max_execution_time = 30 MIN 1 MAX 60 CHANGEABLE_IN_READONLY,
    max_result_rows = 100000,
    result_overflow_mode = 'throw',
    max_memory_usage = 2000000000,
    max_rows_to_read = 500000000;
CREATE USER OR REPLACE {user} IDENTIFIED WITH sha256_password BY '{password}' SETTINGS PROFILE 'shewhart_grafana';
GRANT SELECT ON {database}.* TO {user};
