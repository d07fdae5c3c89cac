#!/usr/bin/env bash
# SIP registrar/proxy benchmark with SIPp (not a pass/fail test).
#
#   bench/sip/run.sh [TARGET...]      TARGET: kamailio, tandem (default: both)
#
# For each target in the same run, on the same machine, with the same
# scenarios (tests/sip/scenarios), users (1001..1000+BENCH_USERS, digest
# auth, realm lab.test) and UDP on loopback:
#   (a) REGISTERs/s with digest auth (401 -> REGISTER with credentials -> 200):
#       fixed rates, BENCH_STEP_S seconds each, up to the first rate with a
#       failure (retried once, since the 2 cores are shared); the result is
#       the highest rate that completed with zero failures and kept pace;
#   (b) calls/s through the proxy: SIPp UAC (uac_call_auth: INVITE, 407, ACK,
#       INVITE with credentials, 100/180/200, ACK, BYE after
#       BENCH_CALL_HOLD_MS) to a SIPp UAS registered as user 1001 (uas.xml):
#       the same ramp, zero failed calls at the UAC and at the UAS;
#   (c) concurrent calls held: BENCH_HOLD_CALLS calls started at
#       BENCH_HOLD_RATE/s, each held until all are up plus
#       BENCH_HOLD_PLATEAU_S seconds; zero failures; the peak of calls in
#       progress at the UAS (sampled every second);
#   (d) CPU seconds per 1,000 calls (and per 1,000 registrations) of the
#       target's processes (utime+stime from /proc/PID/stat of every process,
#       before and after) at the fixed rates BENCH_CPU_CALL_RATE and
#       BENCH_CPU_REG_RATE.
# Prints a Markdown report and writes it into docs/benchmarks/sip-router.md,
# between the BEGIN/END markers there (BENCH_WRITE=0: do not write).  A
# target whose start function returns 77 (tandem, until the router exists)
# is reported as "pending".
#
# Plugging a target in: write start_NAME, stop_NAME, pids_NAME, alive_NAME
# and version_NAME (see the Kamailio ones below).  start_NAME gets
# TARGET_IP, TARGET_PORT, USERS_CSV (users_csv format: user;password;...)
# and SIP_DOMAIN; it must start the registrar/proxy listening on UDP and TCP
# there, with those users, and return once it answers (sip_options).  It is
# called once per phase (registrations, calls, hold), each time after
# stop_NAME, so that each phase starts with a fresh process; state kept
# outside it (a database, Redis) may stay.
#
# Every load step is bounded in count (rate x seconds) and time
# (-timeout); the whole run takes about 5 minutes per target.  Knobs
# (environment): BENCH_USERS=1000 BENCH_STEP_S=6 BENCH_GAP_S=3
# BENCH_REG_RATES="1000 2000 4000 6000 8000 9000 10000 11000 12000 16000"
# BENCH_CALL_RATES="250 500 1000 2000 3000 3500 3750 4000 4250 4500 4750 5000 5500 6000"
# BENCH_CALL_HOLD_MS=1000 BENCH_CPU_CALL_RATE=500 BENCH_CPU_CALL_S=20
# BENCH_CPU_REG_RATE=1000 BENCH_CPU_REG_S=20
# BENCH_HOLD_CALLS=20000 BENCH_HOLD_RATE=500 BENCH_HOLD_PLATEAU_S=15
# BENCH_OUT=docs/benchmarks/sip-router.md BENCH_WRITE=1 KEEP=1 (keep the run folder)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kamailio tandem)

USERS=${BENCH_USERS:-1000}
STEP_S=${BENCH_STEP_S:-6}
GAP_S=${BENCH_GAP_S:-3}
REG_RATES=${BENCH_REG_RATES:-1000 2000 4000 6000 8000 9000 10000 11000 12000 16000}
CALL_RATES=${BENCH_CALL_RATES:-250 500 1000 2000 3000 3500 3750 4000 4250 4500 4750 5000 5500 6000}
CALL_HOLD_MS=${BENCH_CALL_HOLD_MS:-1000}
CPU_CALL_RATE=${BENCH_CPU_CALL_RATE:-500}
CPU_CALL_S=${BENCH_CPU_CALL_S:-20}
CPU_REG_RATE=${BENCH_CPU_REG_RATE:-1000}
CPU_REG_S=${BENCH_CPU_REG_S:-20}
HOLD_CALLS=${BENCH_HOLD_CALLS:-20000}
HOLD_RATE=${BENCH_HOLD_RATE:-500}
HOLD_PLATEAU_S=${BENCH_HOLD_PLATEAU_S:-15}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks/sip-router.md}

. "$ROOT/tests/lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"
export TANDEM_BIN=${TANDEM_BIN:-$ROOT/build/release/bin}

# Our own folder, not /tmp/tandem-test.*: a benchmark runs for minutes and
# must not be taken for a stale test folder.
T=$(mktemp -d /tmp/tandem-sipbench.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/etc" "$T/log" "$T/run"
sip_init
TAP_PID=""
bench_exit() {
	local rc=$?
	[ -z "$TAP_PID" ] || kill "$TAP_PID" 2>/dev/null
	(exit $rc)
	_sip_exit
}
trap bench_exit EXIT
log "run folder $T"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

TARGET_IP=127.0.0.1
USERS_CSV=$T/users.csv
users_csv "$USERS_CSV" 1001 $((1000 + USERS)) 'pw-%u'
CALLEE=1001
{ echo SEQUENTIAL; grep "^$CALLEE;" "$USERS_CSV"; } >"$T/callee.csv"
# everybody but the callee registers and calls
{ echo SEQUENTIAL; tail -n +3 "$USERS_CSV"; } >"$T/others.csv"
HZ=$(getconf CLK_TCK)
declare -A R=() # results: R[target.key]

# ---- targets --------------------------------------------------------------------

start_kamailio() {
	# -x tlsf: a fast allocator that coalesces free memory (f_malloc costs the
	# same here, within the noise); the Debian build defaults to q_malloc, the
	# debugging allocator, which costs about 40% more CPU per registration.
	# 2 GB of shared memory: tm keeps every transaction 5 s after its answer.
	KAMAILIO_SHM=${KAMAILIO_SHM:-2048} kamailio_start "$TARGET_IP" "$TARGET_PORT" "$USERS_CSV" -x tlsf
}
stop_kamailio() { kamailio_stop; }
pids_kamailio() { kamailio_pids; }
version_kamailio() { kamailio -v 2>/dev/null | sed -n 's/^version: \(kamailio [^ ]*\).*/\1/p'; }
alive_kamailio() { kamailio_alive; }

# The router: release build, the harness's PostgreSQL and Redis (started on
# the first call, kept for the run), the users of USERS_CSV in voip.users
# with their HA1s.  It tracks every call and publishes call.started,
# call.answered and call.ended on the bus, where a subscriber (`bus-tool
# tap --count`) receives, decodes and counts them; the acknowledged hand-over of call records to
# cdr-collector is off (cdr.inbox = off): turning events into CDRs is the
# CDR path's work, with its own benchmark (docs/benchmarks/cdr-path.md).
# Counted: sip-router and the Redis holding its bindings.  sip.workers = 2,
# like Kamailio's children = 2; no rate limit (all the load comes from one
# address); logs at info.
start_tandem() {
	BIN=$TANDEM_BIN
	[ -x "$BIN/sip-router" ] || { echo "tandem: $BIN/sip-router is missing (make)"; return 1; }
	if [ -z "$PGPORT" ]; then
		start_pg
		start_redis
		migrate
		local first last
		first=$(sed -n '2s/;.*//p' "$USERS_CSV")
		last=$(tail -n 1 "$USERS_CSV" | cut -d';' -f1)
		seed_lab "$first" "$last"
	fi
	ROUTER_WORKERS=2 router_start "$TARGET_IP" "$TARGET_PORT" "[sip]
pike_rate = 0
[cdr]
inbox = off
[log]
level = info" || return 1
	TAP_N=$((${TAP_N:-0} + 1))
	"$BIN/bus-tool" tap --count "ipc://$T/run/sip-router.pub" >"$T/tap.$TAP_N.out" 2>&1 &
	TAP_PID=$!
	wait_until 20 grep -q "^bus-tool: connected" "$T/tap.$TAP_N.out" ||
		{ echo "the bus subscriber did not connect" >&2; return 1; }
}
stop_tandem() {
	if [ -n "${TAP_PID:-}" ]; then
		kill "$TAP_PID" 2>/dev/null
		wait "$TAP_PID" 2>/dev/null
		TAP_PID=""
		R[tandem.events]+="${R[tandem.events]:+; }$(grep -h '^events' "$T/tap.$TAP_N.out" || echo 'none counted')"
	fi
	stop_daemon sip-router 2>/dev/null
}
pids_tandem() { echo "${DAEMON_PID[sip-router]:-} $(cat "$T/redis/redis.pid" 2>/dev/null)"; }
version_tandem() { echo "tandem sip-router $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"; }
alive_tandem() { daemon_alive sip-router; }

# ---- measuring ------------------------------------------------------------------

# cpu_ticks PID...: utime+stime clock ticks of those processes so far.
cpu_ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && t=$((t + v))
	done
	echo "$t"
}

# children_ticks: CPU ticks (user+sys) of this shell's finished children
# (SIPp runs in the foreground, sipp_run, count once they end).  Call it
# as "times >"$T/times"; x=$(children_ticks)": times must run in this
# shell, not in the subshell of $(...).
children_ticks() {
	tail -n 1 "$T/times" | awk -v hz="$HZ" '{
		n = split($1 " " $2, f, " "); s = 0
		for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub(/s$/, "", a[2]); s += a[1] * 60 + a[2] }
		printf "%d\n", s * hz + 0.5 }'
}

now_s() { date +%s.%N; }
# fmt_rate N: 12345 -> 12,345 (anything else as it is)
fmt_rate() { case $1 in '' | *[!0-9]*) echo "$1" ;; *) echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' ;; esac; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
# cpu_ratio: the target's CPU over the SIPp UAC's in the last step.  The UAC
# does the same work for every target, so the ratio is a yardstick that
# does not move with the speed of this shared machine, which the absolute
# seconds do (by up to 40% between phases of one run).
cpu_ratio() {
	[ $STEP_OK = 1 ] && [ "${LAST_UAC_TICKS:-0}" -gt 0 ] || { echo "-"; return; }
	awk -v a="$LAST_TARGET_TICKS" -v b="$LAST_UAC_TICKS" 'BEGIN { printf "%.2f", a / b }'
}

# rtt_summary DIR: p50 / p99 / max in ms of the response times SIPp traced
# (-trace_rtt: lines "date_ms;response_time_ms;rtd_no" per measure).
rtt_summary() {
	cat "$1"/*_rtt.csv 2>/dev/null | awk -F';' '$2 ~ /^[0-9.]+$/ { print $2 }' | sort -g |
		awk 'function ms(x) { return x == 0 ? "<1" : x }
			{ v[NR] = $1 } END {
			if (NR == 0) { print "not measured"; exit }
			p50 = v[int(NR * 0.50) > 0 ? int(NR * 0.50) : 1]; p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1]
			printf "%s / %s / %s ms (%d registrations; SIPp counts whole ms)", ms(p50), ms(p99), ms(v[NR]), NR }'
}
ticks_s() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'; }
per1000() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 1000; else print "-" }'; }

STEP_LOG=""
# step TARGET KIND RATE N EXTRA_S SCENARIO SIPP_ARGS...: one bounded SIPp run
# at RATE/s for N calls; sets STEP_OK (1/0) and appends a line to the step log.
# It passes when every call succeeded at the UAC (and at the UAS, when one
# is running: UAS_PORT), and the rate achieved (N / (wall time - EXTRA_S),
# EXTRA_S being the length of one call) is at least 95% of RATE.
step() {
	local tgt=$1 kind=$2 rate=$3 n=$4 extra=$5 sc=$6
	shift 6
	local k0 c0 t0 k1 c1 t1 rc wall ok failed retrans achieved uas_ok="-" uas_failed=0 uas_cpu="-" u0=0 u1
	local limit_s=$(((n / rate) * 2 + extra + 30))
	if [ -n "${UAS_PORT:-}" ]; then
		sipp_uas_start uas "$TARGET_IP" "$UAS_PORT"
		u0=$(cpu_ticks "${SIPP_UAS_PID[$UAS_PORT]}")
	fi
	# shellcheck disable=SC2046 # one argument per pid
	k0=$(cpu_ticks $(pids_"$tgt"))
	times >"$T/times"
	c0=$(children_ticks)
	t0=$(now_s)
	SIPP_RECV_TIMEOUT=5000 sipp_run "$sc" "$TARGET_IP:$TARGET_PORT" -r "$rate" -m "$n" -timeout "${limit_s}s" "$@"
	rc=$?
	t1=$(now_s)
	# shellcheck disable=SC2046
	k1=$(cpu_ticks $(pids_"$tgt"))
	times >"$T/times"
	c1=$(children_ticks)
	ok=$(sipp_ok)
	failed=$(sipp_failed)
	retrans=$(sipp_stat 'Retransmissions(C)')
	if [ -n "${UAS_PORT:-}" ]; then
		u1=$(cpu_ticks "${SIPP_UAS_PID[$UAS_PORT]}")
		sipp_uas_stop "$UAS_PORT"
		uas_ok=$(sipp_uas_stat 'SuccessfulCall(C)' "$UAS_PORT")
		uas_failed=$(sipp_uas_stat 'FailedCall(C)' "$UAS_PORT")
		uas_cpu=$(ticks_s $((u1 - u0)))
	fi
	wall=$(fsub "$t1" "$t0")
	# the rate achieved: successful calls over the time it took to start them
	# (the wall time less the length of one call)
	achieved=$(awk -v ok="$ok" -v w="$wall" -v e="$extra" 'BEGIN { t = w - e; if (t < 0.001) t = 0.001; printf "%d", ok / t }')
	STEP_OK=0
	if [ $rc -eq 0 ] && [ "$ok" = "$n" ] && [ "$failed" = 0 ] && [ "${uas_failed:-0}" = 0 ] &&
		[ "$achieved" -ge $((rate * 95 / 100)) ]; then
		STEP_OK=1
	fi
	LAST_ACHIEVED=$achieved
	local line
	line="| $kind | $rate | $achieved | $n | $ok | $failed | ${uas_ok:--} | ${uas_failed:-0} | ${retrans:-0} | $wall | $(ticks_s $((k1 - k0))) | $(per1000 $((k1 - k0)) "$ok") | $(ticks_s $((c1 - c0))) | $uas_cpu | $([ $STEP_OK = 1 ] && echo pass || echo FAIL) |"
	STEP_LOG+="$line"$'\n'
	log "$tgt $kind $rate/s (achieved $achieved/s): $ok/$n ok, $failed failed, UAS ${uas_ok:--} ok ${uas_failed:-0} failed, wall ${wall}s, target CPU $(ticks_s $((k1 - k0)))s -> $([ $STEP_OK = 1 ] && echo pass || echo FAIL)"
	LAST_TARGET_TICKS=$((k1 - k0))
	LAST_UAC_TICKS=$((c1 - c0))
	LAST_OK=$ok
}

# ramp TARGET KIND "RATES" SCENARIO ARGS...: steps at increasing rates until
# one fails twice (each failure retried once); RAMP_BEST: the best passing rate.
ramp() {
	local tgt=$1 kind=$2 rates=$3 sc=$4
	shift 4
	local r n
	RAMP_BEST=0
	RAMP_BEST_ACHIEVED=0
	for r in $rates; do
		n=$((r * STEP_S))
		for _ in 1 2; do
			step "$tgt" "$kind" "$r" "$n" "$RAMP_EXTRA_S" "$sc" "$@"
			sleep "$GAP_S"
			if ! alive_"$tgt"; then
				log "$tgt died"
				return
			fi
			[ $STEP_OK = 1 ] && break
		done
		[ $STEP_OK = 1 ] || break
		RAMP_BEST=$r
		RAMP_BEST_ACHIEVED=$LAST_ACHIEVED
	done
}

# target_up TARGET PHASE: a fresh target process for one phase (so that the
# overload at the end of a ramp does not weigh on what is measured next).
target_up() {
	local tgt=$1 phase=$2 rc
	start_"$tgt" >>"$T/log/start-$tgt.txt" 2>&1
	rc=$?
	[ $rc -eq 0 ] || log "$tgt ($phase): $(tail -n 1 "$T/log/start-$tgt.txt") (exit $rc)"
	return $rc
}

# register_callee: the UAS's binding for user $CALLEE (the UAS port stays the
# same for the whole run of a target, so a binding that survives a restart
# still points at it).
register_callee() {
	sipp_uas_start uas "$TARGET_IP" "$UAS_PORT"
	assert_sipp 1 reg_uas "$TARGET_IP:$TARGET_PORT" -inf "$T/callee.csv" \
		-key uas_ip "$TARGET_IP" -key uas_port "$UAS_PORT" -key expires 7200
	sipp_uas_stop "$UAS_PORT"
	R[$TGT.uas_cmd]=$SIPP_UAS_CMD
}

run_target() {
	local tgt=$1
	TGT=$tgt
	TARGET_PORT=$(free_port)
	UAS_PORT=""
	local reg_port uas_port
	reg_port=$(free_port) # every REGISTER step binds the same contact
	uas_port=$(free_port)
	STEP_LOG=""
	log "==== $tgt on $TARGET_IP:$TARGET_PORT"
	if ! target_up "$tgt" register; then
		R[$tgt.state]="pending"
		R[$tgt.why]=$(tail -n 1 "$T/log/start-$tgt.txt")
		return
	fi
	R[$tgt.state]="measured"
	R[$tgt.version]=$(version_"$tgt")
	R[$tgt.procs]=$(pids_"$tgt" | wc -w)
	R[$tgt.cmd]=${KAMAILIO_CMD:-}

	log "-- (d) CPU per 1,000 registrations at $CPU_REG_RATE/s, and their latency"
	# SIPp writes the response times (-trace_rtt) into its working folder
	mkdir -p "$T/rtt-$tgt"
	pushd "$T/rtt-$tgt" >/dev/null || die "no folder $T/rtt-$tgt"
	step "$tgt" register-cpu "$CPU_REG_RATE" $((CPU_REG_RATE * CPU_REG_S)) 0 reg_auth \
		-inf "$T/others.csv" -p "$reg_port" -l 5000 -trace_rtt -rtt_freq 1
	popd >/dev/null || true
	R[$tgt.reg_cpu]=$([ $STEP_OK = 1 ] && per1000 "$LAST_TARGET_TICKS" "$LAST_OK" || echo "failed")
	R[$tgt.reg_cpu_ratio]=$(cpu_ratio)
	R[$tgt.reg_latency]=$(rtt_summary "$T/rtt-$tgt")
	sleep "$GAP_S"
	log "-- (a) REGISTER/s with digest auth"
	RAMP_EXTRA_S=0
	ramp "$tgt" register "$REG_RATES" reg_auth -inf "$T/others.csv" -p "$reg_port" -l 5000
	R[$tgt.reg_rate]="$(fmt_rate "$RAMP_BEST_ACHIEVED") (offered $(fmt_rate "$RAMP_BEST"))"
	R[$tgt.reg_cmd]=$SIPP_LAST_CMD
	stop_"$tgt"
	sleep "$GAP_S"

	log "-- (d) CPU per 1,000 calls at $CPU_CALL_RATE/s"
	target_up "$tgt" calls || return
	UAS_PORT=$uas_port
	register_callee
	RAMP_EXTRA_S=$(((CALL_HOLD_MS + 999) / 1000))
	step "$tgt" call-cpu "$CPU_CALL_RATE" $((CPU_CALL_RATE * CPU_CALL_S)) "$RAMP_EXTRA_S" \
		uac_call_auth -inf "$T/others.csv" -s "$CALLEE" -d "$CALL_HOLD_MS" -l 20000
	R[$tgt.call_cpu]=$([ $STEP_OK = 1 ] && per1000 "$LAST_TARGET_TICKS" "$LAST_OK" || echo "failed")
	R[$tgt.call_cpu_ratio]=$(cpu_ratio)
	sleep "$GAP_S"
	log "-- (b) calls/s through the proxy"
	ramp "$tgt" call "$CALL_RATES" uac_call_auth -inf "$T/others.csv" \
		-s "$CALLEE" -d "$CALL_HOLD_MS" -l 20000
	R[$tgt.call_rate]="$(fmt_rate "$RAMP_BEST_ACHIEVED") (offered $(fmt_rate "$RAMP_BEST"))"
	R[$tgt.call_cmd]=$SIPP_LAST_CMD
	UAS_PORT=""
	stop_"$tgt"
	sleep "$GAP_S"

	log "-- (c) $HOLD_CALLS concurrent calls"
	target_up "$tgt" hold || return
	UAS_PORT=$uas_port
	register_callee
	UAS_PORT=""
	local ramp_s=$(((HOLD_CALLS + HOLD_RATE - 1) / HOLD_RATE))
	local hold_ms=$(((ramp_s + HOLD_PLATEAU_S) * 1000))
	local uas_run k0 k1 uas_pid uas_hwm hold_rc
	sipp_uas_start uas "$TARGET_IP" "$uas_port"
	uas_run=$(sipp_uas_run "$uas_port")
	uas_pid=${SIPP_UAS_PID[$uas_port]}
	# shellcheck disable=SC2046 # one argument per pid
	k0=$(cpu_ticks $(pids_"$tgt"))
	sipp_run uac_call_auth "$TARGET_IP:$TARGET_PORT" -inf "$T/others.csv" -s "$CALLEE" \
		-r "$HOLD_RATE" -m "$HOLD_CALLS" -l "$HOLD_CALLS" -d "$hold_ms" \
		-timeout "$((ramp_s * 2 + hold_ms / 1000 + 60))s" -recv_timeout 60000
	hold_rc=$?
	# shellcheck disable=SC2046
	k1=$(cpu_ticks $(pids_"$tgt"))
	R[$tgt.hold_cmd]=$SIPP_LAST_CMD
	local hold_ok hold_failed uac_peak
	hold_ok=$(sipp_ok)
	hold_failed=$(sipp_failed)
	uac_peak=$(sipp_max CurrentCall)
	uas_hwm=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$uas_pid/status" 2>/dev/null)
	sipp_uas_stop "$uas_port"
	local uas_peak uas_ok uas_failed
	uas_peak=$(sipp_max CurrentCall "$uas_run")
	uas_ok=$(sipp_uas_stat 'SuccessfulCall(C)' "$uas_port")
	uas_failed=$(sipp_uas_stat 'FailedCall(C)' "$uas_port")
	log "hold: exit $hold_rc, UAC $hold_ok ok $hold_failed failed (peak $uac_peak), UAS $uas_ok ok $uas_failed failed (peak $uas_peak, ${uas_hwm} MB)"
	if [ $hold_rc -eq 0 ] && [ "$hold_failed" = 0 ] && [ "$uas_failed" = 0 ] && [ "$hold_ok" = "$HOLD_CALLS" ]; then
		R[$tgt.hold]=$uas_peak
	else
		R[$tgt.hold]="failed ($hold_ok ok, $hold_failed failed; peak $uas_peak)"
	fi
	R[$tgt.hold_detail]="$HOLD_CALLS calls at $HOLD_RATE/s held ${hold_ms} ms each: UAC $hold_ok ok / $hold_failed failed (peak $uac_peak in progress), UAS $uas_ok ok / $uas_failed failed (peak $uas_peak established), target CPU $(ticks_s $((k1 - k0))) s ($(per1000 $((k1 - k0)) "$hold_ok") s per 1,000 calls), SIPp UAS peak RSS ${uas_hwm:-?} MB"
	R[$tgt.steps]=$STEP_LOG
	stop_"$tgt"
}

# ---- the run --------------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$SECONDS
for tgt in "${TARGETS[@]}"; do
	declare -F "start_$tgt" >/dev/null || die "unknown target '$tgt' (kamailio, tandem)"
	run_target "$tgt"
	sleep "$GAP_S"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

# ---- the report -------------------------------------------------------------------

col() { # TARGET KEY: the value, "pending" (could not start yet) or "not run"
	local tgt=$1 key=$2
	case ${R[$tgt.state]:-} in
	measured) echo "${R[$tgt.$key]:--}" ;;
	pending) echo "pending" ;;
	*) echo "not run" ;;
	esac
}

report() {
	local all=(kamailio tandem) t
	echo "<!-- BEGIN bench/sip/run.sh (generated; edit the script, not this section) -->"
	echo "### Run of $START"
	echo
	echo "| | $(for t in "${all[@]}"; do printf '%s | ' "$t"; done)"
	echo "|---|$(for t in "${all[@]}"; do printf -- '---:|'; done)"
	echo "| version | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" version)"; done)"
	echo "| REGISTER/s with digest auth, zero failures (achieved at the highest step passed) | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" reg_rate)"; done)"
	echo "| calls/s through the proxy (407 auth, 180/200, ACK, BYE after ${CALL_HOLD_MS} ms), zero failures | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" call_rate)"; done)"
	echo "| concurrent calls held, zero failures (peak established at the UAS) | $(for t in "${all[@]}"; do printf '%s | ' "$(fmt_rate "$(col "$t" hold)")"; done)"
	echo "| CPU s per 1,000 calls at $CPU_CALL_RATE calls/s (all target processes) | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" call_cpu)"; done)"
	echo "| CPU s per 1,000 registrations at $CPU_REG_RATE/s | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" reg_cpu)"; done)"
	echo "| target CPU / SIPp UAC CPU in the same step: calls at $CPU_CALL_RATE/s, registrations at $CPU_REG_RATE/s (machine-speed-independent) | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" call_cpu_ratio) / $(col "$t" reg_cpu_ratio)"; done)"
	echo "| REGISTER latency at $CPU_REG_RATE/s, first REGISTER to 200 (with the 401 round trip): p50 / p99 / max | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" reg_latency)"; done)"
	echo "| target processes counted | $(for t in "${all[@]}"; do printf '%s | ' "$(col "$t" procs)"; done)"
	echo
	for t in "${all[@]}"; do
		[ "${R[$t.state]:-}" = pending ] && echo "$t pending: ${R[$t.why]}" && echo
	done
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)),"
	echo "$(awk '/MemTotal/ {printf "%d GB", $2 / 1048576}' /proc/meminfo) RAM, Debian $(cat /etc/debian_version), Linux $(uname -r);"
	echo "$(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ]*' | head -n 1 | sed 's/[.-]$//'), load average before ${LOAD_BEFORE}, after ${LOAD_AFTER};"
	echo "the run took ${ELAPSED} s. Command: \`bench/sip/run.sh ${TARGETS[*]}\`."
	for t in "${all[@]}"; do
		[ "${R[$t.state]:-}" = measured ] || continue
		echo
		echo "#### $t: every step"
		echo
		echo "| step | offered/s | achieved/s | calls | UAC ok | UAC failed | UAS ok | UAS failed | retrans | wall s | target CPU s | CPU s / 1,000 | SIPp UAC CPU s | SIPp UAS CPU s | |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		printf '%s' "${R[$t.steps]}"
		echo
		echo "Hold test: ${R[$t.hold_detail]}."
		if [ -n "${R[$t.events]:-}" ]; then
			echo
			echo "Events received by the bus subscriber (\`bus-tool tap --count\`), one count per start of the target (registrations, calls, hold): ${R[$t.events]}."
		fi
		echo
		echo "Commands (the last of each kind; ports are picked free per run; \$RUN is the run folder):"
		echo
		echo '```'
		local k
		for k in cmd reg_cmd uas_cmd call_cmd hold_cmd; do
			[ -n "${R[$t.$k]:-}" ] && echo "${R[$t.$k]//$T/\$RUN}"
		done
		echo '```'
	done
	echo "<!-- END bench/sip/run.sh -->"
}

report >"$T/report.md"
cat "$T/report.md"
if [ "${BENCH_WRITE:-1}" = 1 ]; then
	if [ -f "$OUT" ] && grep -q '^<!-- BEGIN bench/sip/run.sh' "$OUT"; then
		awk -v rep="$T/report.md" '
			/^<!-- BEGIN bench\/sip\/run.sh/ { while ((getline l < rep) > 0) print l; skip = 1; next }
			/^<!-- END bench\/sip\/run.sh/ { skip = 0; next }
			!skip { print }' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	else
		mkdir -p "$(dirname "$OUT")"
		{ echo "# SIP registrar/proxy benchmark"; echo; cat "$T/report.md"; } >>"$OUT"
	fi
	log "wrote $OUT"
fi
