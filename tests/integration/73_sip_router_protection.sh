#!/usr/bin/env bash
# sip-router under hostile or broken input: a storm of malformed messages
# (RFC 4475 and mutations) over UDP and TCP leaves it serving, every bad
# request counted; a message over sip.max_message gets 513; Max-Forwards 0
# gets 483; a routing loop gets 482; a source over sip.pike_rate is ignored
# for sip.pike_block while others are served; the CLI and /metrics show it.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"

[ -x "$BIN/sip-storm" ] || die "$BIN/sip-storm is missing: build first (make VARIANT=asan)"

router_test_init
IP=127.0.0.1
PORT=$(free_port)
MPORT=$(free_port)
# phase 1: no rate limit, so the whole storm reaches the parser
router_start "$IP" "$PORT" "[sip]
default_domain = $SIP_DOMAIN
max_message = 4k
pike_rate = 0
[metrics]
listen = 127.0.0.1:$MPORT"
R=$IP:$PORT
U1002=$(user_csv 1002)
stat_of() { ctl sip-router -j stats | jq -r "$1"; }
metric() { # NAME{LABELS}: its value on /metrics (0 if absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

log "== a storm of malformed SIP"
"$BIN/sip-storm" --target "$R" --transport both --count 3000 --rate 1500 --sources 8 \
	--corpus "$ROOT/tests/data/sip-torture" --wait 500 >"$T/log/sip-storm.log" 2>&1 ||
	die "sip-storm failed: $(tail -n 3 "$T/log/sip-storm.log")"
log "storm: $(head -n 2 "$T/log/sip-storm.log" | tr '\n' ' ')"
daemon_alive sip-router || die "sip-router died in the storm"
parse_errors=$(stat_of .errors.parse)
[ "$parse_errors" -gt 100 ] || die "only $parse_errors parse errors counted for a storm of 3000"
assert_eq "$parse_errors" "$(metric tandem_sip_parse_errors_total)" "parse errors on /metrics"
log "parse errors counted: $parse_errors"
sip_options "$IP" "$PORT" || die "no answer to OPTIONS after the storm"
PUAS=$(free_port)
sipp_uas_start uas "$IP" "$PUAS"
assert_sipp 1 reg_uas "$R" -inf "$T/users.csv" -key uas_ip "$IP" -key uas_port "$PUAS"
assert_sipp 2 uac_call_auth "$R" -inf "$U1002" -s 1001

log "== size, hops, loops"
# options RURI MAX_FORWARDS [EXTRA_HEADER]: a hand-made OPTIONS for sip_udp
options() {
	printf 'OPTIONS %s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK@N@\nMax-Forwards: %s\n' "$1" "$2"
	printf 'From: <sip:x@%s>;tag=1\nTo: <%s>\nCall-ID: @N@\nCSeq: 1 OPTIONS\n' "$SIP_DOMAIN" "$1"
	[ -z "${3:-}" ] || printf '%s\n' "$3"
	printf 'Content-Length: 0\n\n'
}
big=$(head -c 5000 /dev/zero | tr '\0' 'x')
resp=$(sip_udp "$IP" "$PORT" 1 "$(options "sip:1001@$SIP_DOMAIN" 70 "X-Padding: $big")")
assert_eq "SIP/2.0 513 Message Too Large" "$resp" "a message over sip.max_message"
[ "$(stat_of .errors.oversize)" -ge 1 ] || die "the oversize message was not counted"
resp=$(sip_udp "$IP" "$PORT" 1 "$(options "sip:1001@$SIP_DOMAIN" 0)")
assert_eq "SIP/2.0 483 Too Many Hops" "$resp" "Max-Forwards: 0"
# 420 lists the unknown option tags: one too long for the answer is left out
# (it once overran a stack buffer: found by the storm, under ASan)
long=$(head -c 2000 /dev/zero | tr '\0' 'y')
resp=$(sip_udp "$IP" "$PORT" 1 "$(options "sip:1001@$SIP_DOMAIN" 70 "Proxy-Require: foo, $long, bar")")
assert_eq "SIP/2.0 420 Bad Extension" "$resp" "Proxy-Require with an option tag of 2000 bytes"
daemon_alive sip-router || die "sip-router died of a long option tag"
# A trunk that is the router itself: 8xxx goes round; the loop is seen
# (RFC 3261 §16.3.4) rather than running down Max-Forwards.  The trunk's
# address becomes trusted, so this comes last.
psql_q "INSERT INTO voip.trunks (name, host, port) VALUES ('self', '$IP', $PORT);
	INSERT INTO voip.extensions (domain_id, number, type, trunk_id)
		SELECT d.id, '8', 'trunk_out', t.id FROM voip.domains d, voip.trunks t
		WHERE d.name = '$SIP_DOMAIN' AND t.name = 'self'" >/dev/null
routes_out() { ctl sip-router -j route "8123@$SIP_DOMAIN" | jq -e '.route.kind == "trunk_out"' >/dev/null; }
wait_until 10 routes_out || die "the self trunk did not load"
sed -e 's/response="404"/response="482"/g' "$SIP_SCENARIOS/uac_expect_404.xml" >"$T/uac_expect_482.xml"
grep -q 'response="482"' "$T/uac_expect_482.xml" || die "cannot derive the 482 scenario"
assert_sipp 1 "$T/uac_expect_482.xml" "$R" -inf "$U1002" -s 8123

log "== per-source rate limit (pike)"
# trusted sources (FreeSWITCH nodes, trunks) are never limited: drop the self trunk
psql_q "DELETE FROM voip.extensions WHERE number = '8'; DELETE FROM voip.trunks WHERE name = 'self'" \
	>/dev/null
stop_daemon sip-router
router_start "$IP" "$PORT" "[sip]
default_domain = $SIP_DOMAIN
pike_rate = 20
pike_burst = 40
pike_block = 3s
[metrics]
listen = 127.0.0.1:$MPORT"
opt=$(options "sip:$IP:$PORT" 70)
# the burst comes from an address that has sent nothing yet (router_start's
# own OPTIONS probes came from $IP and took tokens of its bucket)
SRC=127.0.0.3
answered=$(sip_udp "$SRC" "$PORT" 300 "$opt" | grep -c '^SIP/2.0 200')
log "300 OPTIONS at once from $SRC: $answered answered"
[ "$answered" -ge 40 ] && [ "$answered" -lt 100 ] || die "expected about the burst (40) answered, got $answered"
blocked=$(ctl sip-router -j blocked)
assert_eq "$SRC" "$(jq -r '.[0].source' <<<"$blocked")" "the blocked source"
[ "$(metric tandem_sip_rate_limited_total)" -gt 0 ] || die "rate-limited messages not on /metrics"
# another source is served meanwhile
assert_eq 1 "$(sip_udp 127.0.0.2 "$PORT" 1 "$opt" | grep -c '^SIP/2.0 200')" "another source, meanwhile"
assert_eq 0 "$(sip_udp "$SRC" "$PORT" 1 "$opt" | grep -c '^SIP/2.0 200')" "the blocked source, meanwhile"
sleep 3.5
assert_eq 1 "$(sip_udp "$SRC" "$PORT" 1 "$opt" | grep -c '^SIP/2.0 200')" "the source after pike_block"

log "== metrics"
m=$(curl -sf "http://127.0.0.1:$MPORT/metrics")
for series in 'tandem_sip_requests_total{method="OPTIONS"}' 'tandem_sip_responses_total{method="OPTIONS",code="200"}' \
	tandem_sip_transactions tandem_sip_calls_active tandem_sip_registrations tandem_sip_rate_limited_sources \
	tandem_sip_parse_errors_total tandem_sip_routing_version 'tandem_sip_events_total{result="published"}' \
	'tandem_sip_cdr_handover_total{result="lost"}' tandem_sip_cdr_handover_waiting; do
	grep -q "^$series " <<<"$m" || die "/metrics lacks $series"
done

daemon_alive sip-router || die "sip-router died"
log "PASS"
