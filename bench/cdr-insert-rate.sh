#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cdr-insert-rate.sh: the raw idempotent batch-insert rate into voip.cdr and
# what each of its indexes costs.  Starts a private PostgreSQL (the test
# harness), migrates it, generates ROWS rows as 100-row multi-VALUES
# INSERT ... ON CONFLICT (leg_uuid, start_time) DO NOTHING statements
# (cdr-insert-gen.awk), and inserts them once per index set, one transaction
# per batch, after TRUNCATE + CHECKPOINT.
#
#   make VARIANT=asan build/asan/bin/db-migrate && bench/cdr-insert-rate.sh [ROWS]
#
# Per line: wall rows/s; server CPU per row (postmaster, its reaped and live
# children, from /proc); WAL bytes per row; index size.  Wall-clock rates
# depend on whatever else runs on the machine; CPU and WAL per row are the
# numbers to compare.  Results: docs/decisions/0002-cdr-partitioning.md.
set -u
. "$(dirname "$0")/../tests/lib/harness.sh"
ROWS=${1:-200000}
BATCH=100
harness_init
start_pg
migrate

P() { pg_psql "$T/pg" "$PGPORT" "$@"; }
PM=$(head -n 1 "$T/pg/data/postmaster.pid")
TCK=$(getconf CLK_TCK)

cpu_ticks() {
	local t p s
	read -r -a s < <(sed 's/^.*) //' "/proc/$PM/stat")
	t=$((s[11] + s[12] + s[13] + s[14])) # utime stime cutime cstime
	for p in $(pgrep -P "$PM"); do
		read -r -a s < <(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + s[11] + s[12]))
	done
	echo "$t"
}

# run LABEL [replay] FILE...: insert the files, one connection each, in parallel.
run() {
	local label=$1 replay=0 f
	shift
	[ "$1" = replay ] && { replay=1; shift; }
	[ $replay = 1 ] || P -c 'TRUNCATE voip.cdr'
	P -U postgres -c CHECKPOINT
	local lsn0 c0 t0 t1 c1 n wal idx isz
	lsn0=$(P -At -c 'SELECT pg_current_wal_insert_lsn()')
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	for f in "$@"; do PGAPPNAME=cdrbench P -f "$f" & done
	wait
	t1=$(date +%s.%N)
	# Backends exit after their clients; let the postmaster reap them.
	while [ "$(P -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdrbench'")" != 0 ]; do
		sleep 0.1
	done
	sleep 0.5
	c1=$(cpu_ticks)
	n=$((ROWS * $#))
	wal=$(P -At -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")
	idx=$(P -At -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'voip' AND tablename = 'cdr'")
	isz=$(P -At -c "SELECT pg_size_pretty(coalesce(sum(pg_indexes_size(inhrelid)), 0)) FROM pg_inherits
		WHERE inhparent = 'voip.cdr'::regclass")
	printf '%-38s idx=%d conns=%d rows/s=%6.0f  cpu=%3.0f us/row (%5.0f rows/cpu-s)  wal=%4.0f B/row  idx_size=%s\n' \
		"$label" "$idx" "$#" "$(echo "$n / ($t1 - $t0)" | bc -l)" \
		"$(echo "($c1 - $c0) * 1000000 / $TCK / $n" | bc -l)" \
		"$(echo "$n * $TCK / ($c1 - $c0 + 0.001)" | bc -l)" "$(echo "$wal / $n" | bc -l)" "$isz"
}

declare -A DEF=(
	[cdr_call_uuid_idx]="(call_uuid)"
	[cdr_caller_idx]="(caller_id_number, start_time, id) WHERE caller_id_number IS NOT NULL"
	[cdr_destination_idx]="(destination_number, start_time, id) WHERE destination_number IS NOT NULL"
	[cdr_queue_idx]="(queue, start_time, id) WHERE queue IS NOT NULL"
	[cdr_agent_idx]="(agent, start_time, id) WHERE agent IS NOT NULL"
	[cdr_sip_call_id_idx]="(sip_call_id) WHERE sip_call_id IS NOT NULL"
)
# only_indexes NAME...: voip.cdr keeps its key indexes plus these.
only_indexes() {
	local sql="TRUNCATE voip.cdr; SET client_min_messages = warning;" n
	for n in "${!DEF[@]}"; do sql+=" DROP INDEX IF EXISTS voip.$n;"; done
	for n in "$@"; do sql+=" CREATE INDEX $n ON voip.cdr ${DEF[$n]};"; done
	P -c "$sql" || die "cannot set indexes"
}

log "generating 2 x $ROWS rows in $BATCH-row batches"
base=$(date -u -d "$(date -u +%Y-%m-01) 1 day" +%s)
for s in 1 2; do
	awk -v nbatch=$((ROWS / BATCH)) -v batch=$BATCH -v seed=$s -v base=$((base + s * 86400)) \
		-f "$ROOT/bench/cdr-insert-gen.awk" >"$T/batches$s.sql" || die "generator failed"
done
echo "PostgreSQL $(P -At -c 'SHOW server_version'), synchronous_commit=$(P -At -c 'SHOW synchronous_commit'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "warm-up (all indexes)" "$T/batches1.sql" >/dev/null
only_indexes
run "pk (start_time, id) + unique only" "$T/batches1.sql"
for f in cdr_call_uuid_idx cdr_caller_idx cdr_destination_idx cdr_queue_idx cdr_agent_idx cdr_sip_call_id_idx; do
	only_indexes "$f"
	run "+ ${f#cdr_}" "$T/batches1.sql"
done
only_indexes "${!DEF[@]}"
run "all indexes" "$T/batches1.sql"
run "all indexes, replayed (0 new rows)" replay "$T/batches1.sql"
run "all indexes, 2 connections" "$T/batches1.sql" "$T/batches2.sql"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
