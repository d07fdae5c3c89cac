#!/usr/bin/env bash
# A long malformed-SIP soak: the ASan+UBSan sip-router (with PostgreSQL,
# Redis and a registered user) takes ROUNDS rounds of COUNT mutated
# messages (RFC 4475 corpus and sip-storm's mutations, UDP and TCP), each
# round with a new seed; after every round it must still answer OPTIONS and
# its log must hold no sanitizer report.  Not a pass/fail test (minutes
# long); test 73 runs one short storm.  Prints the seeds, so a crash can be
# replayed with: sip-storm --seed S ...
#
#   make VARIANT=asan && bench/sip/storm-soak.sh [ROUNDS] [COUNT]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"
ROUNDS=${1:-20}
COUNT=${2:-20000}
[ -x "$BIN/sip-storm" ] || die "$BIN/sip-storm is missing: build first (make VARIANT=asan)"

router_test_init
IP=127.0.0.1
PORT=$(free_port)
router_start "$IP" "$PORT" "[sip]
default_domain = $SIP_DOMAIN
max_message = 8k
pike_rate = 0
[log]
level = warn"
PUAS=$(free_port)
sipp_uas_start uas "$IP" "$PUAS"
assert_sipp 1 reg_uas "$IP:$PORT" -inf "$T/users.csv" -key uas_ip "$IP" -key uas_port "$PUAS"

start=$SECONDS
sent=0
for round in $(seq 1 "$ROUNDS"); do
	seed=$(( (RANDOM << 30) | (RANDOM << 15) | RANDOM ))
	"$BIN/sip-storm" --target "$IP:$PORT" --transport both --count "$COUNT" --rate 4000 \
		--sources 16 --corpus "$ROOT/tests/data/sip-torture" --seed "$seed" --wait 300 \
		>"$T/log/storm-$round.log" 2>&1 || die "sip-storm failed (seed $seed)"
	sent=$((sent + COUNT))
	if ! daemon_alive sip-router || ! sip_options "$IP" "$PORT" ||
		grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T/log/sip-router.log"; then
		die "round $round (seed $seed): the router died or reported: $(grep -m1 -A12 -E 'ERROR: |runtime error:' "$T/log/sip-router.log")"
	fi
	log "round $round: seed $seed, $(head -n 1 "$T/log/storm-$round.log" | cut -c1-120)"
done
log "soak: $sent malformed messages in $ROUNDS rounds, $((SECONDS - start)) s: the router served throughout, no sanitizer report"
log "parse errors counted: $(ctl sip-router -j stats | jq .errors.parse)"
