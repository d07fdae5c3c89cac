#!/usr/bin/env bash
# The sip-router as the registrar and proxy of lab.test, with real
# PostgreSQL and Redis, driven by SIPp: the very battery Kamailio passes in
# 50_sip_kamailio_reference.sh (tests/lib/sip_battery.sh), then what only
# the router has: its view of registrations and calls over the CLI, its
# counters, the bindings in Redis, and a call to a user who has no binding
# left after the storm.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/sip_battery.sh"
. "$ROOT/tests/lib/router.sh"

router_test_init
IP=127.0.0.1
PORT=$(free_port)
# 127.0.0.2 plays a trusted peer (a trunk's network): no challenge from there.
# The storm comes from the phones' own address: no rate limit here, or pike
# would rightly block them all (73_sip_router_protection.sh tests pike).
router_start "$IP" "$PORT" "[sip]
trusted = 127.0.0.2/32
pike_rate = 0"

# a subscriber on the router's events, counting them by topic (bus-tool tap --count)
"$BIN/bus-tool" tap --count "ipc://$T/run/sip-router.pub" >"$T/tap.out" 2>&1 &
TAP=$!
# pub/sub keeps nothing for late subscribers: the battery starts once it is connected
wait_until 20 grep -q "^bus-tool: connected" "$T/tap.out" || die "the tap did not connect: $(cat "$T/tap.out")"

sip_battery "$IP" "$PORT" daemon_alive sip-router

log "== the router's own view"
stats=$(ctl sip-router -j stats)
# every registration that the battery made succeed: 2 + 1 refresh + 4 TCP + 3 UAS + ... > 10
[ "$(jq .registrations.ok <<<"$stats")" -ge 10 ] || die "registrations.ok: $(jq .registrations <<<"$stats")"
[ "$(jq .registrations.failed <<<"$stats")" -ge 3 ] || die "wrong passwords not counted"
[ "$(jq .auth_challenges <<<"$stats")" -gt 20 ] || die "challenges not counted"
[ "$(jq .calls.answered <<<"$stats")" -ge 14 ] || die "answered calls: $(jq .calls <<<"$stats")"
[ "$(jq .calls.cancelled <<<"$stats")" -ge 3 ] || die "cancelled calls: $(jq .calls <<<"$stats")"
[ "$(jq .errors.parse <<<"$stats")" -gt 0 ] || die "the storm's parse errors were not counted"
log "stats: $(jq -c '{requests, responses, calls, registrations}' <<<"$stats")"
wait_until 10 sh -c "[ \"\$($BIN/sip-router -c $T/etc/sip-router.conf -j status | jq .calls_active)\" = 0 ]" ||
	die "calls still active after every call ended: $(ctl sip-router calls)"

log "== the call events on the bus"
# every event the router published reaches the subscriber, promptly: no call
# record hand-over (there is no cdr-collector here) may hold publishing up
published=$(ctl sip-router -j stats | jq .events.published)
tap_total() { kill -USR1 "$TAP"; sleep 0.05; [ "$(grep '^events' "$T/tap.out" | tail -n 1 | cut -d' ' -f2)" = "$1" ]; }
wait_until 5 tap_total "$published" ||
	die "the tap counted $(grep '^events' "$T/tap.out" | tail -n 1) of $published events published"
kill "$TAP"
wait "$TAP" || true
tap=$(grep '^events' "$T/tap.out" | tail -n 1) || die "the tap printed no counts: $(cat "$T/tap.out")"
log "tap: $tap"
count() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$tap"; }
assert_eq "$(jq .calls.answered <<<"$stats")" "$(count call.answered)" "call.answered events = answered calls"
[ "$(count call.started)" -gt "$(count call.answered)" ] || die "unanswered calls (busy, CANCEL, 480) were not started"
assert_eq "$(count call.started)" "$(count call.ended)" "every call.started has its call.ended"
assert_eq "$(jq '.calls | .answered + .failed + .cancelled + .timeout' <<<"$stats")" "$(count call.ended)" \
	"call.ended events = calls the router ended"
assert_eq 0 "$(count missed)" "events missed by the subscriber"
[ "$(count reg.added)" -ge 1 ] || die "no reg.added events"

# the bindings live in Redis, the CLI reads them back
assert_eq 1 "$(ctl sip-router -j lookup "1001@$SIP_DOMAIN" | jq length)" "1001's bindings (after the storm)"
assert_eq 0 "$(ctl sip-router -j lookup "1002@$SIP_DOMAIN" | jq length)" "1002's bindings (unregistered)"
assert_eq 0 "$(ctl sip-router -j lookup "1004@$SIP_DOMAIN" | jq length)" "1004's bindings (unregistered)"
# the negative control of Contact: * left one REGISTERed binding of 1006
assert_eq 1 "$(ctl sip-router -j lookup "1006@$SIP_DOMAIN" | jq length)" "1006's bindings"
[ "$(rcli --scan --pattern '*1001@lab.test*' | wc -l)" -ge 1 ] || die "no Redis key for 1001@lab.test"
ctl sip-router -j registrations | jq -e --arg a "1001@$SIP_DOMAIN" '.items | map(.aor) | index($a) != null' \
	>/dev/null || die "registrations does not list 1001: $(ctl sip-router registrations)"
assert_eq user "$(ctl sip-router -j route "1001@$SIP_DOMAIN" | jq -r .route.kind)" "route 1001"

daemon_alive sip-router || die "sip-router died"
log "PASS"
