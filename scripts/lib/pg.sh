# shellcheck shell=bash
# PostgreSQL in a private data folder on a non-default port, for the dev
# fleet (scripts/tandem) and the tests (tests/lib/harness.sh).
#
#   pg_init  DIR PORT     create the cluster, role 'tandem', db voip_platform
#   pg_start DIR PORT     start it (idempotent); waits until it accepts
#   pg_stop  DIR [MODE]   stop it (fast by default; immediate = crash-like)
#   pg_dsn   DIR PORT     the DSN daemons use
#   pg_psql  DIR PORT ... psql as tandem on voip_platform
#
# PostgreSQL refuses to run as root: when we are root the server runs as
# the 'postgres' system user and DIR is handed to it.

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/16/bin /usr/lib/postgresql/15/bin; do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
	echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
	return 1
}

_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_init() {
	local dir=$1 port=$2 bin
	bin=$(pg_bindir) || return 1
	mkdir -p "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data" "$dir/run"
		[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
		_pg_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
			>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
		cat >>"$dir/data/postgresql.conf" <<CONF
# tandem: private instance, loopback only
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 200
shared_buffers = 256MB
wal_level = replica
max_wal_size = 2GB
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
CONF
	fi
	pg_start "$dir" "$port" || return 1
	_pg_as "$bin/psql" -X -q -h "$dir/run" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null || return 1
SELECT 'CREATE ROLE tandem LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tandem')\gexec
SELECT 'CREATE DATABASE voip_platform OWNER tandem' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'voip_platform')\gexec
SQL
}

pg_start() {
	local dir=$1 port=$2 bin i
	bin=$(pg_bindir) || return 1
	if _pg_as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		return 0
	fi
	_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null || {
		tail -n 20 "$dir/postgres.log" >&2
		return 1
	}
	for i in $(seq 1 100); do
		_pg_as "$bin/pg_isready" -q -h "$dir/run" -p "$port" && return 0
		sleep 0.1
	done
	echo "pg.sh: PostgreSQL on port $port did not become ready" >&2
	return 1
}

pg_stop() {
	local dir=$1 mode=${2:-fast} bin
	bin=$(pg_bindir) || return 1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	_pg_as "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null 2>&1 || true
}

pg_dsn() {
	echo "host=127.0.0.1 port=$2 dbname=voip_platform user=tandem"
}

pg_psql() {
	local dir=$1 port=$2 bin
	shift 2
	bin=$(pg_bindir) || return 1
	"$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U tandem -d voip_platform -v ON_ERROR_STOP=1 "$@"
}
