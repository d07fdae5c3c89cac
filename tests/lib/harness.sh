# shellcheck shell=bash
# Harness for integration tests: a private PostgreSQL and Redis on free
# loopback ports in a temporary folder, the daemons built with ASan+UBSan,
# and everything stopped (and the folder removed) on exit.
#
#   . tests/lib/harness.sh
#   harness_init                  temp folder $T, cleanup trap
#   start_pg; start_redis; migrate
#   daemon_conf cdr-writer <<EOF ... EOF     writes $T/etc/cdr-writer.conf
#   start_cdr_path [WRITER_EXTRA [COLLECTOR_EXTRA]]   cdr-writer + cdr-collector (on $CDR_PORT)
#   start_daemon cdr-writer       waits until it answers `status`
#   ctl cdr-writer stats          its CLI against the running daemon
#   kill9_daemon cdr-writer; stop_daemon cdr-writer
#   assert_eq EXPECTED ACTUAL "what"; wait_until SECONDS CMD...; die "why"
#   wait_until 10 sql_is "SELECT count(*) FROM voip.cdr" 3   (CMD runs anew each poll;
#   never pass "$(...)" to wait_until: it would be expanded once)
#
# Set KEEP=1 to keep $T for inspection.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT"
. scripts/lib/pg.sh
. scripts/lib/redis.sh
BIN=${TANDEM_BIN:-$ROOT/build/asan/bin}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T=""
PGPORT="" REDISPORT=""
PG_DSN="" REDIS_URL=""
declare -A DAEMON_PID=()

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
die() {
	log "FAILED: $*"
	exit 1
}

# free_port picks a TCP port nothing uses, below the kernel's ephemeral range
# (a port in that range may be taken by any outgoing connection at any time).
free_port() {
	local p lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	while :; do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null | grep -q . &&
			! ss -Huan "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
}

harness_init() {
	T=$(mktemp -d /tmp/tandem-test.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/etc" "$T/log" "$T/run"
	trap harness_cleanup EXIT
	log "test folder $T"
}

harness_cleanup() {
	local rc=$?
	local name
	for name in "${!DAEMON_PID[@]}"; do
		stop_daemon "$name" >/dev/null 2>&1
	done
	[ -n "$REDISPORT" ] && redis_stop "$T/redis" "$REDISPORT" kill
	[ -n "$PGPORT" ] && pg_stop "$T/pg" immediate
	if [ $rc -ne 0 ]; then
		for f in "$T"/log/*.log; do
			[ -f "$f" ] || continue
			echo "---- tail of $f"
			tail -n 25 "$f"
		done
	fi
	# A sanitizer report in any daemon log fails the test even if it passed.
	if grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T"/log/*.log 2>/dev/null; then
		echo "sanitizer report found in daemon logs"
		grep -h -A30 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T"/log/*.log | head -n 80
		rc=1
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		log "kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}

start_pg() {
	PGPORT=${PGPORT:-$(free_port)}
	pg_init "$T/pg" "$PGPORT" || die "PostgreSQL did not start"
	PG_DSN=$(pg_dsn "$T/pg" "$PGPORT")
	export PG_DSN PGPORT
	log "PostgreSQL on 127.0.0.1:$PGPORT"
}

restart_pg() { # [mode]
	pg_stop "$T/pg" "${1:-fast}"
	pg_start "$T/pg" "$PGPORT" || die "PostgreSQL did not restart"
}

start_redis() {
	REDISPORT=${REDISPORT:-$(free_port)}
	redis_start "$T/redis" "$REDISPORT" || die "Redis did not start"
	REDIS_URL=$(redis_url "$REDISPORT")
	export REDIS_URL REDISPORT
	log "Redis on 127.0.0.1:$REDISPORT"
}

restart_redis() { # [kill]
	redis_stop "$T/redis" "$REDISPORT" "${1:-}"
	redis_start "$T/redis" "$REDISPORT" || die "Redis did not restart"
}

psql_q() { pg_psql "$T/pg" "$PGPORT" -At -c "$1"; }
rcli() { redis-cli -p "$REDISPORT" "$@"; }

migrate() {
	"$BIN/db-migrate" --dsn "$PG_DSN" --dir "$ROOT/db/migrations" >>"$T/log/db-migrate.log" 2>&1 ||
		die "migrations failed: $(tail -n 5 "$T/log/db-migrate.log")"
}

# daemon_conf NAME: common keys, then whatever stdin adds.
daemon_conf() {
	local name=$1
	{
		printf '[node]\nname = test\n[run]\ndir = %s/run\n[log]\nlevel = debug\n' "$T"
		cat
	} >"$T/etc/$name.conf"
}

# start_cdr_path [WRITER_EXTRA [COLLECTOR_EXTRA]]: cdr-writer and cdr-collector
# on the harness's Redis and PostgreSQL, the collector's HTTP on $CDR_PORT
# (a free port if unset); extra config lines (sections included) for each.
start_cdr_path() {
	CDR_PORT=${CDR_PORT:-$(free_port)}
	printf '[redis]\nurl = %s\n[pg]\ndsn = %s\n%s\n' "$REDIS_URL" "$PG_DSN" "${1:-}" |
		daemon_conf cdr-writer
	printf '[http]\nlisten = 127.0.0.1:%s\n[redis]\nurl = %s\n%s\n' "$CDR_PORT" "$REDIS_URL" \
		"${2:-}" | daemon_conf cdr-collector
	start_daemon cdr-writer
	start_daemon cdr-collector
}

start_daemon() {
	local name=$1
	shift
	"$BIN/$name" -c "$T/etc/$name.conf" "$@" >>"$T/log/$name.log" 2>&1 &
	DAEMON_PID[$name]=$!
	wait_until 20 daemon_running "$name" || die "$name did not come up (see $T/log/$name.log)"
}

# daemon_running NAME: its control endpoint says it finished starting.
daemon_running() { ctl "$1" -j status 2>/dev/null | jq -e '.state == "running"' >/dev/null; }

ctl() {
	local name=$1
	shift
	"$BIN/$name" -c "$T/etc/$name.conf" "$@"
}

stop_daemon() {
	local name=$1 pid=${DAEMON_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "DAEMON_PID[$name]"
}

kill9_daemon() {
	local name=$1 pid=${DAEMON_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "DAEMON_PID[$name]"
	log "killed $name with SIGKILL"
}

daemon_alive() { local pid=${DAEMON_PID[$1]:-}; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

wait_until() { # SECONDS CMD...
	local limit=$1 i
	shift
	for i in $(seq 1 $((limit * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# sql_is SQL EXPECTED: the query's answer equals EXPECTED (run anew each call,
# so it can be polled: wait_until 10 sql_is "SELECT count(*) ..." 3).
sql_is() { [ "$(psql_q "$1")" = "$2" ]; }

assert_eq() { # EXPECTED ACTUAL WHAT
	if [ "$1" != "$2" ]; then
		die "$3: expected '$1', got '$2'"
	fi
	log "ok: $3 = '$2'"
}
