#!/bin/sh
# Creates (or updates) the read-only ClickHouse user Grafana uses, from grafana-reader.sql. Run it against
# a ClickHouse server as a user allowed to manage users; the compose file mounts it into
# /docker-entrypoint-initdb.d/, where the ClickHouse image runs it once, on an empty data volume.
#   SHEWHART_GRAFANA_CLICKHOUSE_PASSWORD  the reader's password (required)
#   SHEWHART_GRAFANA_CLICKHOUSE_USER      default grafana_reader
#   SHEWHART_CLICKHOUSE_DATABASE          default shewhart
#   CLICKHOUSE_CLIENT                     default: clickhouse-client with CLICKHOUSE_USER/CLICKHOUSE_PASSWORD
set -eu
: "${SHEWHART_GRAFANA_CLICKHOUSE_PASSWORD:?set SHEWHART_GRAFANA_CLICKHOUSE_PASSWORD}"
user="${SHEWHART_GRAFANA_CLICKHOUSE_USER:-grafana_reader}"
database="${SHEWHART_CLICKHOUSE_DATABASE:-shewhart}"
case "$user$database" in *[!A-Za-z0-9_]*) echo "user and database must be identifiers" >&2; exit 2 ;; esac
case "$SHEWHART_GRAFANA_CLICKHOUSE_PASSWORD" in *"'"*|*"\\"*) echo "the password must not contain ' or \\" >&2; exit 2 ;; esac
dir="$(dirname "$0")"
sql="$dir/grafana-reader.sql"
[ -f "$sql" ] || sql=/etc/shewhart/grafana-reader.sql
client="${CLICKHOUSE_CLIENT:-clickhouse-client --user ${CLICKHOUSE_USER:-default} --password ${CLICKHOUSE_PASSWORD:-}}"
$client --query "CREATE DATABASE IF NOT EXISTS $database"
sed -e "s/{user}/$user/g" -e "s/{database}/$database/g" -e "s/{password}/$SHEWHART_GRAFANA_CLICKHOUSE_PASSWORD/g" "$sql" \
  | $client --multiquery
echo "ClickHouse user $user: read-only on $database"
