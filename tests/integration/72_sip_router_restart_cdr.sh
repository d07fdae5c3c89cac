#!/usr/bin/env bash
# sip-router: registrations survive a restart (they live in Redis), every
# call through the router becomes a row in voip.cdr (call-ended event ->
# cdr-collector's inbox -> Redis -> cdr-writer), including when
# cdr-collector is down while calls end, and a second SIP implementation
# (baresip) registers and calls through it.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"

router_test_init

start_cdr_path "$(printf '[batch]\nwait = 5ms')"

IP=127.0.0.1
PORT=$(free_port)
# sip.default_domain: baresip below uses the router's address as its domain
router_start "$IP" "$PORT" "[sip]
default_domain = $SIP_DOMAIN"
R=$IP:$PORT
U1001=$(user_csv 1001)
U1002=$(user_csv 1002)
U1003=$(user_csv 1003)

cdr_count() { # WHERE: rows of voip.cdr from the router matching it
	psql_q "SELECT count(*) FROM voip.cdr WHERE source = 'sip-router' AND ($1)"
}
cdr_is() { [ "$(cdr_count "$1")" = "$2" ]; }
bindings() { ctl sip-router -j lookup "$1" | jq length; }

log "== calls become CDRs"
PUAS=$(free_port)
PBUSY=$(free_port)
sipp_uas_start uas "$IP" "$PUAS"
sipp_uas_start uas_busy "$IP" "$PBUSY"
assert_sipp 1 reg_uas "$R" -inf "$U1001" -key uas_ip "$IP" -key uas_port "$PUAS"
assert_sipp 1 reg_uas "$R" -inf "$U1003" -key uas_ip "$IP" -key uas_port "$PBUSY"
assert_sipp 3 uac_call_auth "$R" -inf "$U1002" -s 1001 -d 1200
assert_sipp 1 uac_expect_486 "$R" -inf "$U1002" -s 1003
wait_until 15 cdr_is "caller_id_number = '1002' AND destination_number = '1001'" 3 ||
	die "3 answered calls did not become CDRs: $(cdr_count true) router CDRs"
wait_until 15 cdr_is "destination_number = '1003'" 1 || die "the busy call did not become a CDR"
row=$(psql_q "SELECT hangup_cause, sip_term_status, billsec >= 1, answer_time IS NOT NULL,
	direction, domain FROM voip.cdr WHERE destination_number = '1001' LIMIT 1")
assert_eq "NORMAL_CLEARING|200|t|t|internal|$SIP_DOMAIN" "$row" "an answered call's record"
row=$(psql_q "SELECT hangup_cause, hangup_cause_q850, sip_term_status, billsec, answer_time IS NULL
	FROM voip.cdr WHERE destination_number = '1003'")
assert_eq "USER_BUSY|17|486|0|t" "$row" "a busy call's record"
# exactly once: the Call-IDs are distinct and nothing is doubled
assert_eq 4 "$(psql_q "SELECT count(DISTINCT sip_call_id) FROM voip.cdr WHERE source = 'sip-router'")" \
	"distinct calls recorded"

log "== cdr-collector down while calls end: the records wait in the router"
stop_daemon cdr-collector
assert_sipp 2 uac_call_auth "$R" -inf "$U1002" -s 1001
sleep 1
assert_eq 3 "$(cdr_count "destination_number = '1001'")" "no new record while the collector is down"
waiting=$(ctl sip-router -j stats | jq '.events.cdr_waiting')
log "records waiting in the router: $waiting"
start_daemon cdr-collector
wait_until 20 cdr_is "destination_number = '1001'" 5 || die "the waiting records did not arrive"

log "== a restart keeps the registrations (they are in Redis)"
assert_eq 1 "$(bindings 1001@$SIP_DOMAIN)" "1001's bindings before"
stop_daemon sip-router
start_daemon sip-router
wait_until 20 router_routing_ready || die "no routing data after the restart"
assert_eq 1 "$(bindings 1001@$SIP_DOMAIN)" "1001's bindings after a restart"
assert_sipp 1 uac_call_auth "$R" -inf "$U1002" -s 1001
kill9_daemon sip-router
start_daemon sip-router
wait_until 20 router_routing_ready || die "no routing data after kill -9"
assert_eq 1 "$(bindings 1001@$SIP_DOMAIN)" "1001's bindings after kill -9"
assert_sipp 1 uac_call_auth "$R" -inf "$U1002" -s 1001
wait_until 20 cdr_is "destination_number = '1001'" 7 || die "calls after the restarts were not recorded"

log "== a call answered before a clean restart and ended after it keeps its record"
answered_calls() { ctl sip-router -j calls | jq '[.[] | select(.state == "answered")] | length'; }
held_answered() { [ "$(answered_calls)" = 1 ]; }
sipp_run uac_call_auth "$R" -inf "$U1002" -s 1001 -d 6000 >"$T/held.out" 2>&1 &
HELD=$!
wait_until 10 held_answered || die "the held call was not answered: $(ctl sip-router calls)"
stop_daemon sip-router
restart_us=$(date +%s%6N)
start_daemon sip-router
wait_until 20 router_routing_ready || die "no routing data after the restart"
assert_eq 1 "$(answered_calls)" "answered calls the new router took back"
grep -q 'id=SIPR-DLG-RESTORED msg="took back 1 ' "$T/log/sip-router.log" || die "no SIPR-DLG-RESTORED line"
wait "$HELD" || die "the held call failed across the restart: $(cat "$T/held.out")"
wait_until 20 cdr_is "destination_number = '1001'" 8 || die "the held call was not recorded"
row=$(psql_q "SELECT billsec >= 5, extract(epoch from answer_time) * 1000000 < $restart_us,
	sip_hangup_disposition FROM voip.cdr WHERE destination_number = '1001' ORDER BY start_time DESC LIMIT 1")
assert_eq "t|t|caller_bye" "$row" "the held call's record: its whole length, answered before the restart"
assert_eq 0 "$(answered_calls)" "calls left open"
sipp_uas_stop "$PUAS"
assert_eq 8 "$(sipp_uas_stat 'SuccessfulCall(C)' "$PUAS")" "calls the UAS answered"

log "== baresip registers and calls through the router"
if command -v baresip >/dev/null; then
	# bs_conf NAME USER PORT: a headless baresip (no sound card: aubridge)
	bs_conf() {
		mkdir -p "$T/bs/$1"
		cat >"$T/bs/$1/config" <<EOF
sip_listen $IP:$3
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
module_app account.so
module_app menu.so
audio_player aubridge,$1
audio_source aubridge,$1
audio_alert aubridge,$1
rtp_ports $((${3} + 100))-$((${3} + 140))
EOF
		# the router's address as the domain (phones often do that): sip.default_domain maps it
		echo "<sip:$2@$IP:$PORT;transport=udp>;auth_pass=pw-$2;regint=600;answermode=auto" \
			>"$T/bs/$1/accounts"
	}
	# baresip listens on PORT and, for TLS, PORT+1: keep them apart
	BA=$(free_port)
	BB=$(free_port)
	bs_conf callee 1005 "$BB"
	bs_conf caller 1006 "$BA"
	(cd "$T/bs" && timeout 40 baresip -f "$T/bs/callee" -t 30 >"$T/log/baresip-callee.log" 2>&1) &
	BS_CALLEE=$!
	wait_until 15 grep -q '200 OK' "$T/log/baresip-callee.log" || die "baresip 1005 did not register"
	assert_eq 1 "$(bindings 1005@$SIP_DOMAIN)" "baresip 1005's binding"
	(cd "$T/bs" && timeout 30 baresip -f "$T/bs/caller" -e "/dial sip:1005@$IP:$PORT" -t 6 \
		>"$T/log/baresip-caller.log" 2>&1) || true
	grep -q 'Call established' "$T/log/baresip-callee.log" ||
		die "baresip 1005 did not get the call (see $T/log/baresip-callee.log)"
	grep -q 'Call with .* terminated' "$T/log/baresip-caller.log" ||
		die "baresip 1006's call did not complete (see $T/log/baresip-caller.log)"
	kill "$BS_CALLEE" 2>/dev/null
	wait "$BS_CALLEE" 2>/dev/null
	wait_until 15 cdr_is "caller_id_number = '1006' AND destination_number = '1005' AND billsec >= 1" 1 ||
		die "the baresip call was not recorded"
	log "ok: baresip 1006 -> 1005 answered, recorded"
else
	die "baresip is not installed (scripts/install-deps)"
fi

daemon_alive sip-router || die "sip-router died"
log "PASS"
