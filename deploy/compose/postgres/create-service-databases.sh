#!/usr/bin/env bash
# PostgreSQL init script for docker-compose.yml (mounted into /docker-entrypoint-initdb.d, so it runs once, on
# an empty data volume): one login role and one database per service, the database owned by its role and closed
# to every other role (design.md §1: each service owns its data; no service reads another's tables).
# All six databases are created now, because the script never runs again on an existing volume.
#   SERVICE_DATABASES    names, space-separated (default: the six services)
#   SERVICE_DB_PASSWORD  password of every service role (a development value in docker-compose.yml)
set -euo pipefail

databases=${SERVICE_DATABASES:-intake precheck verification bureau audit notify}
: "${SERVICE_DB_PASSWORD:?SERVICE_DB_PASSWORD must be set}"

for name in $databases; do
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v name="$name" -v password="$SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "created role and database $name"
done
