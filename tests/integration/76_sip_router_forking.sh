#!/usr/bin/env bash
# sip-router forking a call to a user with two devices (RFC 3261 §16.7):
# when both challenge the caller, the one 407 that goes up carries both
# challenges (step 7: every WWW-/Proxy-Authenticate of every 401/407, so
# the caller can answer them all); when one is busy and the other
# challenges, the challenge wins (step 6: a response the caller can act on
# is preferred within its class).
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"
. "$ROOT/tests/lib/sip_battery.sh" # uas_done

router_test_init
IP=127.0.0.1
PORT=$(free_port)
# 127.0.0.2 plays a trusted peer: its calls are not challenged by the router itself
router_start "$IP" "$PORT" "[sip]
trusted = 127.0.0.2/32"
R=$IP:$PORT
U1003=$(user_csv 1003)
U1004=$(user_csv 1004)

log "== two devices of 1003 that both challenge"
PA=$(free_port)
PB=$(free_port)
sipp_uas_start uas_challenge "$IP" "$PA" -key realm alpha
sipp_uas_start uas_challenge "$IP" "$PB" -key realm beta
assert_sipp 1 reg_uas "$R" -inf "$U1003" -key uas_ip "$IP" -key uas_port "$PA"
assert_sipp 1 reg_uas "$R" -inf "$U1003" -key uas_ip "$IP" -key uas_port "$PB"
assert_eq 2 "$(ctl sip-router -j lookup "1003@$SIP_DOMAIN" | jq length)" "1003's bindings"
assert_sipp 2 uac_expect_challenges "$R" -inf "$U1003" -s 1003 -i 127.0.0.2
# negative control: with one device only, the 407 lacks the other realm
PC=$(free_port)
sipp_uas_start uas_challenge "$IP" "$PC" -key realm alpha
assert_sipp 1 reg_uas "$R" -inf "$U1004" -key uas_ip "$IP" -key uas_port "$PC"
assert_sipp_fails uac_expect_challenges "$R" -inf "$U1004" -s 1004 -i 127.0.0.2

log "== one device busy, one challenging: the challenge goes up"
PD=$(free_port)
sipp_uas_start uas_busy "$IP" "$PD"
assert_sipp 1 reg_uas "$R" -inf "$U1004" -key uas_ip "$IP" -key uas_port "$PD"
assert_eq 2 "$(ctl sip-router -j lookup "1004@$SIP_DOMAIN" | jq length)" "1004's bindings"
invite() {
	printf 'INVITE sip:1004@%s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.2:9;branch=z9hG4bK@N@;rport\n' "$SIP_DOMAIN"
	printf 'Max-Forwards: 70\nFrom: <sip:carrier@%s>;tag=1\nTo: <sip:1004@%s>\n' "$SIP_FROM_DOMAIN" "$SIP_DOMAIN"
	printf 'Call-ID: @N@\nCSeq: 1 INVITE\nContact: <sip:carrier@127.0.0.2:9>\nContent-Length: 0\n\n'
}
finals=$(sip_udp 127.0.0.2 "$PORT" 1 "$(invite)" | grep -v '^SIP/2.0 1' | sort -u | xargs)
assert_eq "SIP/2.0 407 Proxy Authentication Required" "$finals" \
	"the final response(s) to a call forked to a busy and a challenging device"

log "== every device saw its calls (each fork was really tried)"
uas_done "$PA" 2 "1003's device alpha"
uas_done "$PB" 2 "1003's device beta"
uas_done "$PC" 2 "1004's challenging device (negative control + the busy case)"
uas_done "$PD" 1 "1004's busy device (its 486 lost to the 407)"

daemon_alive sip-router || die "sip-router died"
log "PASS"
