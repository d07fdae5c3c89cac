#!/usr/bin/env bash
# Guarantee 1 under fire: a stream of CDRs while cdr-writer and cdr-collector
# are killed with SIGKILL and PostgreSQL and Redis are restarted (Redis with
# SIGKILL too).  At the end every CDR the collector acknowledged is in
# voip.cdr exactly once.  The load tool retries failed POSTs with the same
# body, as mod_json_cdr does with retries, so duplicates are offered too.
. "$(dirname "$0")/../lib/harness.sh"
harness_init
start_pg
start_redis
migrate

# Paced, so the stream outlasts the fault rotation however fast the machine is:
# 20,000 CDRs at 800/s take 25 s, long enough for four rounds of every fault.
COUNT=${FAULT_CDRS:-20000}
RATE=${FAULT_RATE:-800}
start_cdr_path "$(printf '[writer]\nworkers = 2')" "$(printf '[enqueue]\ntimeout = 2s')"

log "streaming $COUNT CDRs"
"$BIN/cdr-load" post --url "http://127.0.0.1:$CDR_PORT/cdr" \
	--template "$ROOT/tests/data/freeswitch/json_cdr/cgrates_2018_aleg_answered_compact.json" \
	--count "$COUNT" --rate "$RATE" --concurrency 32 --retries 40 --retry-delay 250 \
	--acked "$T/acked.tsv" >"$T/load.out" 2>&1 &
LOAD=$!

# The faults, in a fixed rotation, while the load runs (bounded).
faults=0
round=0
while kill -0 "$LOAD" 2>/dev/null && [ $round -lt 40 ]; do
	sleep 1.5
	case $((round % 4)) in
	0) kill9_daemon cdr-writer; start_daemon cdr-writer ;;
	1) kill9_daemon cdr-collector; sleep 0.3; start_daemon cdr-collector ;;
	2) log "restarting PostgreSQL (immediate: crash-like)"; restart_pg immediate ;;
	3) log "killing Redis with SIGKILL and starting it again"; restart_redis kill ;;
	esac
	faults=$((faults + 1))
	round=$((round + 1))
done
wait "$LOAD"
load_rc=$?
cat "$T/load.out"
log "$faults faults injected"
[ $faults -ge 8 ] || die "only $faults faults: the load finished before two rounds of every fault (lower FAULT_RATE)"
daemon_alive cdr-writer || start_daemon cdr-writer
daemon_alive cdr-collector || start_daemon cdr-collector

ACKED=$(wc -l <"$T/acked.tsv")
log "acknowledged: $ACKED of $COUNT (load exit $load_rc)"
[ "$ACKED" -gt $((COUNT / 2)) ] || die "too few CDRs acknowledged to prove anything"

drained() {
	[ "$(rcli LLEN tandem:cdr:queue)" = 0 ] &&
		[ -z "$(rcli --scan --pattern 'tandem:cdr:processing:*')" ]
}
wait_until 120 drained || die "queue did not drain: $(rcli LLEN tandem:cdr:queue) queued"

pg_psql "$T/pg" "$PGPORT" -c "CREATE TABLE acked (leg_uuid text, post_us bigint)" \
	-c "\\copy acked FROM '$T/acked.tsv'" >/dev/null || die "cannot load the acked list"
assert_eq "$ACKED" "$(psql_q 'SELECT count(*) FROM acked')" "acked legs loaded"
missing=$(psql_q "SELECT count(*) FROM acked a WHERE NOT EXISTS
                  (SELECT 1 FROM voip.cdr c WHERE c.leg_uuid = a.leg_uuid)")
assert_eq 0 "$missing" "acknowledged CDRs missing from voip.cdr"
dups=$(psql_q "SELECT count(*) - count(DISTINCT leg_uuid) FROM voip.cdr")
assert_eq 0 "$dups" "duplicate rows"
extra=$(psql_q "SELECT count(*) FROM voip.cdr c WHERE NOT EXISTS
                (SELECT 1 FROM acked a WHERE a.leg_uuid = c.leg_uuid)")
log "rows for CDRs never acknowledged (their answer was lost in a fault; allowed): $extra"
ctl cdr-writer stats | sed 's/^/    /'
log "PASS"
