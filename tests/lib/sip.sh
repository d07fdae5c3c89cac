# shellcheck shell=bash
# SIP helpers for integration tests and benchmarks: SIPp runs bounded in
# count and time, their final statistics, SIPp UASs in the background, user
# CSVs, and the Kamailio reference (bench/sip/kamailio.cfg).  Source it after
# tests/lib/harness.sh and call sip_init instead of harness_init.
#
#   . tests/lib/harness.sh; . tests/lib/sip.sh
#   sip_init                                 harness_init + stops SIPp/Kamailio on exit
#   users_csv FILE FIRST LAST PASSWORD       SIPp injection CSV "user;password;auth;badauth"
#                                            (%u in PASSWORD = the user: 'pw-%u')
#   user_csv USER                            a CSV with one user of $T/users.csv (prints the path)
#   sipp_run NAME TARGET [sipp args]         tests/sip/scenarios/NAME.xml against
#                                            TARGET (ip:port); returns sipp's status
#   sipp_stat FIELD [RUN]                    a final statistic of a run (default: the
#                                            last sipp_run), e.g. SuccessfulCall(C)
#   sipp_ok / sipp_failed [RUN]              successful / failed calls of a run
#   assert_sipp N NAME TARGET [sipp args]    exactly N calls, all successful, exit 0
#   assert_sipp_fails NAME TARGET [args]     the scenario must fail (exit != 0, no success)
#   sipp_uas_start NAME IP PORT [sipp args]  a UAS scenario in the background
#   sipp_uas_stop PORT                       let it finish (SIGUSR1), then its statistics
#   sipp_uas_stat FIELD PORT                 a statistic of that UAS (after it stopped)
#   sip_options IP PORT [sipp args]          one OPTIONS, true if answered 200
#   kamailio_start IP PORT USERS_CSV [args]  the reference registrar/proxy, foreground
#   kamailio_pids; kamailio_stop
#
# Every sipp_run has a call count (-m, default 1), a global timeout
# (SIPP_TIMEOUT seconds, default 60, with -timeout_error so that hitting it
# fails the run) and a receive timeout (SIPP_RECV_TIMEOUT ms, default
# 10000).  Its files are $T/log/sipp-RUN.{out,err,csv,screen}; RUN is
# NAME-<n>, n counting the runs of this test (SIPP_LAST holds the last one,
# SIPP_LAST_CMD its command line; every command goes to $T/log/sipp-commands.txt).
#
# Keys the scenarios use (-key): domain (SIP_DOMAIN, default lab.test),
# expires (SIP_EXPIRES, 3600), from_domain (SIP_FROM_DOMAIN, trunk.test, a
# caller domain that is not local), and for reg_uas/unreg_uas uas_ip and
# uas_port, which the caller passes: -key uas_ip 127.0.0.1 -key uas_port 5070.
#
# SIPp exits 0 when all calls succeeded, 1 when at least one failed, 97 on an
# internal stop, 99 when no call was processed, 255/254 on fatal errors.

SIP_SCENARIOS=${SIP_SCENARIOS:-$ROOT/tests/sip/scenarios}
SIP_DOMAIN=${SIP_DOMAIN:-lab.test}
SIP_EXPIRES=${SIP_EXPIRES:-3600}
SIP_FROM_DOMAIN=${SIP_FROM_DOMAIN:-trunk.test}
SIPP_TIMEOUT=${SIPP_TIMEOUT:-60}
SIPP_RECV_TIMEOUT=${SIPP_RECV_TIMEOUT:-10000}
SIPP_LAST=""
SIPP_LAST_CMD=""
SIPP_UAS_CMD=""
SIPP_RUNS=0
KAMAILIO_CMD=""
declare -A SIPP_UAS_PID=() SIPP_UAS_RUN=()
KAMAILIO_PID=""
KAMAILIO_KIDS=""

sip_init() {
	[ -n "$T" ] || harness_init
	trap _sip_exit EXIT
}

_sip_exit() {
	local rc=$?
	sip_cleanup
	(exit $rc)
	harness_cleanup
}

sip_cleanup() {
	local port
	for port in "${!SIPP_UAS_PID[@]}"; do
		_sip_kill "${SIPP_UAS_PID[$port]}"
	done
	SIPP_UAS_PID=()
	kamailio_stop
}

# _sip_kill PID: TERM, up to 5 s, then KILL.  Only for processes we started.
_sip_kill() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# users_csv FILE FIRST LAST PASSWORD [SEQUENTIAL|RANDOM]: users FIRST..LAST,
# PASSWORD with %u replaced by the user ('pw-%u').  Each line:
#   user;password;[authentication username=user password=password];[... password=password-wrong]
# SIPp 3.6 does not expand [field0] inside [authentication ...], but it does
# expand a whole [authentication] keyword read from a field: the scenarios
# use [field2] (the right password) and [field3] (a wrong one).  Passwords
# must not contain ';', ']' or blanks.
users_csv() {
	local file=$1 first=$2 last=$3 pw=$4 order=${5:-SEQUENTIAL}
	case $pw in *[\;\]\ ]*) die "users_csv: password pattern '$pw' has ';', ']' or a blank" ;; esac
	awk -v f="$first" -v l="$last" -v pw="$pw" -v o="$order" 'BEGIN {
		print o
		for (u = f; u <= l; u++) {
			p = pw; gsub(/%u/, u, p)
			printf "%s;%s;[authentication username=%s password=%s];[authentication username=%s password=%s-wrong]\n", u, p, u, p, u, p
		}
	}' >"$file"
}

# user_csv USER: an injection CSV with just that user of $T/users.csv (prints its path).
user_csv() {
	local f=$T/user-$1.csv
	{ echo SEQUENTIAL; grep "^$1;" "$T/users.csv"; } >"$f"
	echo "$f"
}

# udp_listening PORT [IP]: something is bound to that UDP port.
udp_listening() { ss -Huln "sport = :$1" 2>/dev/null | grep -q .; }

# _sipp_args RUN: the options every SIPp run gets (one per line, for mapfile).
# SIPp's socket buffers default to 64 KB, which a proxy's burst of answers
# (it reads and answers in batches) overflows at a few thousand calls/s:
# the kernel drops datagrams at SIPp's socket, and SIPp's retransmissions
# then snowball.  SIPP_BUFF_SIZE (default 4 MB; the kernel caps it at
# net.core.rmem_max / wmem_max) sets them for every SIPp run.
_sipp_args() {
	local run=$1
	printf '%s\n' -nostdin -cp "$(free_port)" -buff_size "${SIPP_BUFF_SIZE:-4194304}" \
		-key domain "$SIP_DOMAIN" -key expires "$SIP_EXPIRES" -key from_domain "$SIP_FROM_DOMAIN" \
		-trace_err -error_file "$T/log/sipp-$run.err" \
		-trace_stat -stf "$T/log/sipp-$run.csv" -fd 1 \
		-trace_screen -screen_file "$T/log/sipp-$run.screen"
}

_opt_val() { # OPT ARGS...: the value that follows OPT in ARGS (the last one)
	local o=$1 v="" prev=""
	shift
	for a in "$@"; do
		[ "$prev" = "$o" ] && v=$a
		prev=$a
	done
	echo "$v"
}

_has_opt() { # OPT ARGS...: is OPT among ARGS
	local o=$1 a
	shift
	for a in "$@"; do [ "$a" = "$o" ] && return 0; done
	return 1
}

# sipp_run NAME TARGET [sipp args]: runs tests/sip/scenarios/NAME.xml (or NAME
# if it is a path) in the foreground and returns sipp's exit status.
# Defaults, each unless given in the args: -m 1, -i $SIP_IP (127.0.0.1), -p a
# free port, -auth_uri the Request-URI (-s SERVICE: SERVICE@$SIP_DOMAIN, else
# $SIP_DOMAIN).
sipp_run() {
	local name=$1 target=$2
	shift 2
	local sf=$name
	[ -f "$sf" ] || sf=$SIP_SCENARIOS/$name.xml
	[ -f "$sf" ] || die "no SIPp scenario $name"
	SIPP_RUNS=$((SIPP_RUNS + 1))
	local run
	run=$(basename "$name" .xml)-$SIPP_RUNS
	SIPP_LAST=$run
	local -a args
	mapfile -t args < <(_sipp_args "$run")
	_has_opt -m "$@" || args+=(-m 1)
	_has_opt -i "$@" || args+=(-i "${SIP_IP:-127.0.0.1}")
	_has_opt -p "$@" || args+=(-p "$(free_port)")
	_has_opt -timeout "$@" || args+=(-timeout "${SIPP_TIMEOUT}s")
	_has_opt -recv_timeout "$@" || args+=(-recv_timeout "$SIPP_RECV_TIMEOUT")
	# the digest uri must be the Request-URI: sip:DOMAIN for REGISTER,
	# sip:SERVICE@DOMAIN for calls (SIPp's default is sip:remote_ip:remote_port)
	if ! _has_opt -auth_uri "$@"; then
		local svc
		svc=$(_opt_val -s "$@")
		args+=(-auth_uri "${svc:+$svc@}$SIP_DOMAIN")
	fi
	local rc limit
	SIPP_LAST_CMD="sipp $target -sf ${sf#"$ROOT"/} ${args[*]} -timeout_error $*"
	echo "$SIPP_LAST_CMD" >>"$T/log/sipp-commands.txt"
	# the outer timeout is a last resort if SIPp itself hangs
	limit=$(_opt_val -timeout "${args[@]}" "$@")
	limit=${limit%s}
	case $limit in '' | *[!0-9]*) limit=${SIPP_TIMEOUT%s} ;; esac
	timeout -k 5 $((limit + 30)) \
		sipp "$target" -sf "$sf" "${args[@]}" -timeout_error "$@" \
		>"$T/log/sipp-$run.out" 2>&1
	rc=$?
	log "sipp $run -> $target: exit $rc, $(sipp_ok "$run") ok, $(sipp_failed "$run") failed"
	return $rc
}

# sipp_stat FIELD [RUN]: FIELD of the last statistics line of RUN's stat file
# (cumulative "(C)" fields are the totals of the run).  Empty if none.
sipp_stat() {
	local field=$1 run=${2:-$SIPP_LAST}
	local f=$T/log/sipp-$run.csv
	[ -f "$f" ] || return 0
	awk -F';' -v want="$field" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) col = i; next }
		col { v = $col } END { if (col) print v }' "$f"
}

sipp_ok() { local v; v=$(sipp_stat 'SuccessfulCall(C)' "${1:-$SIPP_LAST}"); echo "${v:-0}"; }
sipp_failed() { local v; v=$(sipp_stat 'FailedCall(C)' "${1:-$SIPP_LAST}"); echo "${v:-0}"; }

# sipp_max FIELD [RUN]: the largest value FIELD took over the run (e.g.
# CurrentCall: the most calls in progress at once, sampled every second).
sipp_max() {
	local field=$1 run=${2:-$SIPP_LAST}
	local f=$T/log/sipp-$run.csv
	[ -f "$f" ] || { echo 0; return 0; }
	awk -F';' -v want="$field" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) col = i; next }
		col && $col + 0 > m { m = $col + 0 } END { print m + 0 }' "$f"
}

# sipp_show_errors [RUN]: the end of SIPp's error log and screen, for a failure report.
sipp_show_errors() {
	local run=${1:-$SIPP_LAST} f
	for f in "$T/log/sipp-$run.err" "$T/log/sipp-$run.screen" "$T/log/sipp-$run.out"; do
		[ -s "$f" ] || continue
		echo "---- $f"
		tail -n 40 "$f"
	done
}

# assert_sipp N NAME TARGET [sipp args]: N calls, every one successful, sipp exit 0.
assert_sipp() {
	local n=$1 name=$2 target=$3 rc
	shift 3
	sipp_run "$name" "$target" -m "$n" "$@"
	rc=$?
	if [ $rc -ne 0 ] || [ "$(sipp_ok)" != "$n" ] || [ "$(sipp_failed)" != 0 ]; then
		sipp_show_errors "$SIPP_LAST"
		die "$name: expected $n successful calls and exit 0, got exit $rc, $(sipp_ok) ok, $(sipp_failed) failed"
	fi
	log "ok: $name: $n of $n calls successful"
}

# assert_sipp_fails NAME TARGET [sipp args]: the scenario must fail (one call):
# a negative control proving that the scenario can fail.
assert_sipp_fails() {
	local name=$1 target=$2 rc
	shift 2
	sipp_run "$name" "$target" "$@"
	rc=$?
	if [ $rc -eq 0 ] || [ "$(sipp_ok)" != 0 ]; then
		die "$name: expected the scenario to fail, got exit $rc, $(sipp_ok) ok"
	fi
	log "ok: $name failed as it must (exit $rc, $(sipp_failed) failed)"
}

# sipp_uas_start NAME IP PORT [sipp args]: the UAS scenario NAME listening on
# IP:PORT (UDP unless -t says otherwise), in the background until
# sipp_uas_stop PORT or the end of the test.  Bounded by -m (default 1000000)
# and the global timeout SIPP_UAS_TIMEOUT (seconds, default 600; no
# -timeout_error: a UAS that reaches it just stops).  No receive timeout:
# a UAS waits for BYEs as long as calls last.
sipp_uas_start() {
	local name=$1 ip=$2 port=$3
	shift 3
	local sf=$name
	[ -f "$sf" ] || sf=$SIP_SCENARIOS/$name.xml
	[ -f "$sf" ] || die "no SIPp scenario $name"
	SIPP_RUNS=$((SIPP_RUNS + 1))
	local run
	run=uas-$(basename "$name" .xml)-$port-$SIPP_RUNS
	local -a args
	mapfile -t args < <(_sipp_args "$run")
	_has_opt -m "$@" || args+=(-m 1000000)
	_has_opt -timeout "$@" || args+=(-timeout "${SIPP_UAS_TIMEOUT:-600}s")
	SIPP_UAS_CMD="sipp -sf ${sf#"$ROOT"/} -i $ip -p $port ${args[*]} $*"
	echo "$SIPP_UAS_CMD" >>"$T/log/sipp-commands.txt"
	sipp -sf "$sf" -i "$ip" -p "$port" "${args[@]}" "$@" >"$T/log/sipp-$run.out" 2>&1 &
	SIPP_UAS_PID[$port]=$!
	SIPP_UAS_RUN[$port]=$run
	wait_until 10 udp_listening "$port" || die "SIPp UAS $name did not bind $ip:$port (see $T/log/sipp-$run.out)"
	log "SIPp UAS $name on $ip:$port (pid ${SIPP_UAS_PID[$port]})"
}

# sipp_uas_stop PORT: SIGUSR1 (no new calls, finish those in progress), up
# to SIPP_UAS_STOP_WAIT seconds (default 10), then TERM/KILL.  Returns
# SIPp's exit status when it ended by itself, 1 otherwise.
sipp_uas_stop() {
	local port=$1 pid=${SIPP_UAS_PID[$1]:-} rc=1
	[ -n "$pid" ] || return 0
	kill -USR1 "$pid" 2>/dev/null
	for _ in $(seq 1 $((${SIPP_UAS_STOP_WAIT:-10} * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		_sip_kill "$pid"
	else
		wait "$pid" 2>/dev/null
		rc=$?
	fi
	unset "SIPP_UAS_PID[$port]"
	return $rc
}

# sipp_uas_stat FIELD PORT: a statistic of the UAS on PORT (final once stopped).
sipp_uas_stat() { sipp_stat "$1" "${SIPP_UAS_RUN[$2]}"; }
sipp_uas_run() { echo "${SIPP_UAS_RUN[$1]}"; }

# sip_options IP PORT [sipp args]: one OPTIONS to the server itself (SIPp,
# options.xml, 2 s at most, no log files); true if a 200 came back.
sip_options() {
	local ip=$1 port=$2
	shift 2
	timeout -k 2 10 sipp "$ip:$port" -sf "$SIP_SCENARIOS/options.xml" -m 1 -nostdin \
		-i "${SIP_IP:-127.0.0.1}" -p "$(free_port)" -cp "$(free_port)" -key domain "$SIP_DOMAIN" \
		-timeout 2s -timeout_error -recv_timeout 2000 "$@" >/dev/null 2>&1
}

# ---- the Kamailio reference -----------------------------------------------------

# kamailio_db DIR USERS_CSV [DOMAIN]: the db_text folder auth_db reads: the
# version table and a subscriber table with the HA1 of every user (MD5 of
# user:realm:password), no plain password.
kamailio_db() {
	local dir=$1 csv=$2 domain=${3:-$SIP_DOMAIN}
	mkdir -p "$dir"
	printf 'id(int,auto) table_name(string) table_version(int)\n0:subscriber:7\n' >"$dir/version"
	{
		echo 'id(int,auto) username(string) domain(string) password(string,null) ha1(string) ha1b(string,null)'
		tail -n +2 "$csv" | perl -MDigest::MD5=md5_hex -ne '
			BEGIN { $d = shift @ARGV }
			chomp; my ($u, $p) = split /;/; next unless length $u;
			printf "%d:%s:%s::%s:\n", ++$n, $u, $d, md5_hex("$u:$d:$p");' "$domain" ||
			die "kamailio_db: cannot write the subscriber table"
	} >"$dir/subscriber"
}

# kamailio_start IP PORT USERS_CSV [kamailio args]: Kamailio with
# bench/sip/kamailio.cfg on IP:PORT (UDP and TCP), in the foreground (-DD),
# logging to $T/log/kamailio.log; waits until it answers OPTIONS.
# KAMAILIO_SHM (MB, default 256) and KAMAILIO_PKG (MB, default 16) size its memory.
kamailio_start() {
	local ip=$1 port=$2 csv=$3
	shift 3
	local dir=$T/kamailio
	mkdir -p "$dir/run"
	kamailio_db "$dir/db" "$csv"
	# shellcheck disable=SC2034 # for reports (bench/sip/run.sh)
	KAMAILIO_CMD="kamailio -f bench/sip/kamailio.cfg -DD -E -A DBTEXT_DIR=\"text://$dir/db\" -A SIP_DOMAIN=\"$SIP_DOMAIN\" -l udp:$ip:$port -l tcp:$ip:$port -m ${KAMAILIO_SHM:-256} -M ${KAMAILIO_PKG:-16} -Y $dir/run -w $dir -P $dir/run/kamailio.pid $*"
	kamailio -f "$ROOT/bench/sip/kamailio.cfg" -DD -E \
		-A "DBTEXT_DIR=\"text://$dir/db\"" -A "SIP_DOMAIN=\"$SIP_DOMAIN\"" \
		-l "udp:$ip:$port" -l "tcp:$ip:$port" \
		-m "${KAMAILIO_SHM:-256}" -M "${KAMAILIO_PKG:-16}" \
		-Y "$dir/run" -w "$dir" -P "$dir/run/kamailio.pid" "$@" \
		>>"$T/log/kamailio.log" 2>&1 &
	KAMAILIO_PID=$!
	wait_until 20 sip_options "$ip" "$port" ||
		die "Kamailio did not answer OPTIONS on $ip:$port (see $T/log/kamailio.log)"
	KAMAILIO_KIDS=$(pgrep -P "$KAMAILIO_PID" | tr '\n' ' ')
	log "Kamailio $(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p') on $ip:$port udp+tcp (pid $KAMAILIO_PID, workers: $KAMAILIO_KIDS)"
}

# kamailio_pids: the main process and every process it forked.
kamailio_pids() {
	[ -n "$KAMAILIO_PID" ] || return 0
	echo "$KAMAILIO_PID $(pgrep -P "$KAMAILIO_PID" | tr '\n' ' ')"
}

kamailio_alive() { [ -n "$KAMAILIO_PID" ] && kill -0 "$KAMAILIO_PID" 2>/dev/null; }

kamailio_stop() {
	[ -n "$KAMAILIO_PID" ] || return 0
	local kids p
	kids="$KAMAILIO_KIDS $(pgrep -P "$KAMAILIO_PID" 2>/dev/null | tr '\n' ' ')"
	_sip_kill "$KAMAILIO_PID"
	# the main process stops its children; make sure of it, by pid
	for p in $kids; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] && kill -KILL "$p" 2>/dev/null
	done
	KAMAILIO_PID=""
	KAMAILIO_KIDS=""
}
