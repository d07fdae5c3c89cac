#!/usr/bin/env bash
# sip-router: calls that need media go to the FreeSWITCH pool, outbound
# numbers to the trunk of their prefix, and the routing data follows the
# database without a restart.
#
#   a queue extension reaches the first FreeSWITCH stand-in (SIPp UAS
#   answering INVITE and OPTIONS, strategy priority); when it stops
#   answering OPTIONS the probes mark it down within seconds and calls go to
#   the second; a call sent to a node that died before the probes noticed
#   fails over after sip.failover_timeout; when it comes back it gets calls
#   again.  A trunk_out prefix reaches the trunk with the prefix stripped.
#   A new extension inserted in PostgreSQL routes without a restart (NOTIFY).
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"

router_test_init
seed_queue 5000 support

# FreeSWITCH stand-ins and the carrier on their own loopback addresses: the
# router trusts FreeSWITCH nodes and trunks by address, and the phones (on
# 127.0.0.1) must still be challenged.
FS1_IP=127.0.0.3 FS2_IP=127.0.0.4 TRUNK_IP=127.0.0.5
FS1=$(free_port)
FS2=$(free_port)
TRUNK=$(free_port)
# uas_start NAME IP PORT: a UAS that logs what it receives to $T/log/NAME.msgs
uas_start() { sipp_uas_start uas "$2" "$3" -trace_msg -message_file "$T/log/$1.msgs"; }
# invites NAME: INVITEs that UAS received
invites() { grep -c '^INVITE sip:' "$T/log/$1.msgs" 2>/dev/null || true; }
uas_start fs1 "$FS1_IP" "$FS1"
uas_start fs2 "$FS2_IP" "$FS2"
uas_start carrier "$TRUNK_IP" "$TRUNK"
seed_trunk carrier "$TRUNK_IP" "$TRUNK" 9

IP=127.0.0.1
PORT=$(free_port)
router_start "$IP" "$PORT" "[fs]
nodes = sip:$FS1_IP:$FS1,sip:$FS2_IP:$FS2
strategy = priority
probe_interval = 1s
probe_timeout = 500ms
fail_after = 2
[sip]
failover_timeout = 1500ms"
R=$IP:$PORT
U1002=$(user_csv 1002)

fs_state() { # INDEX: up / down, as the router sees it
	ctl sip-router -j fs-pool | jq -r ".[$1].state"
}
fs_state_is() { [ "$(fs_state "$1")" = "$2" ]; }
routing_newer() { [ "$(router_routing_version)" -gt "$1" ]; }

log "== the pool is probed"
wait_until 10 fs_state_is 0 up || die "node 1 is not up"
wait_until 10 fs_state_is 1 up || die "node 2 is not up"

log "== a queue call goes to the first node (priority)"
assert_eq queue "$(ctl sip-router -j route 5000@lab.test | jq -r .route.kind)" "5000 is a queue"
assert_sipp 3 uac_call_auth "$R" -inf "$U1002" -s 5000
assert_eq 3 "$(invites fs1)" "INVITEs at node 1"
assert_eq 0 "$(invites fs2)" "INVITEs at node 2"

log "== the first node stops answering: skipped within seconds"
sipp_uas_stop "$FS1"
t0=$(date +%s%N)
wait_until 10 fs_state_is 0 down || die "node 1 was not marked down"
log "node 1 marked down $((($(date +%s%N) - t0) / 1000000)) ms after it stopped"
assert_sipp 2 uac_call_auth "$R" -inf "$U1002" -s 5000
assert_eq 2 "$(invites fs2)" "INVITEs at node 2"

log "== it comes back: calls return to it"
uas_start fs1b "$FS1_IP" "$FS1"
wait_until 10 fs_state_is 0 up || die "node 1 did not come back up"
assert_sipp 1 uac_call_auth "$R" -inf "$U1002" -s 5000
assert_eq 1 "$(invites fs1b)" "INVITEs at node 1, back"

log "== a node that dies before the probes notice: the call fails over"
# Two probes a second apart must fail before the probes mark it down; the
# call below reaches it well within the first second.
sipp_uas_stop "$FS1"
assert_eq up "$(fs_state 0)" "node 1 still looks up"
t0=$(date +%s%N)
assert_sipp 1 uac_call_auth "$R" -inf "$U1002" -s 5000
ms=$((($(date +%s%N) - t0) / 1000000))
log "failed-over call done in $ms ms (sip.failover_timeout 1.5 s)"
[ "$ms" -ge 1400 ] || die "the call did not wait for node 1 (${ms} ms): it cannot have tried it"
assert_eq 3 "$(invites fs2)" "INVITEs at node 2 (the failed-over call)"

log "== outbound: prefix 9 to the carrier, stripped"
route=$(ctl sip-router -j route 9555123@lab.test)
assert_eq trunk_out "$(jq -r .route.kind <<<"$route")" "9555123 routes out"
assert_eq 555123 "$(jq -r '.route.trunks[0].number' <<<"$route")" "the number the carrier gets"
assert_sipp 2 uac_call_auth "$R" -inf "$U1002" -s 9555123
assert_eq 2 "$(grep -c '^INVITE sip:555123@' "$T/log/carrier.msgs")" "INVITEs for 555123 at the carrier"
log "== routing data changes without a restart"
v0=$(router_routing_version)
assert_sipp 1 uac_expect_404 "$R" -inf "$U1002" -s 6000
psql_q "INSERT INTO voip.extensions (domain_id, number, type, queue_id)
	SELECT q.domain_id, '6000', 'queue', q.id FROM voip.queues q WHERE q.name = 'support'" >/dev/null
wait_until 10 routing_newer "$v0" || die "the router did not reload after the INSERT"
assert_eq queue "$(ctl sip-router -j route 6000@lab.test | jq -r .route.kind)" "6000 is a queue now"
assert_sipp 1 uac_call_auth "$R" -inf "$U1002" -s 6000
assert_eq 4 "$(invites fs2)" "INVITEs at node 2 (extension 6000)"

kill -0 "${DAEMON_PID[sip-router]}" || die "sip-router died"
log "PASS"
