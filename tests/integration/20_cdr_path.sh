#!/usr/bin/env bash
# The CDR path end to end, with real PostgreSQL, Redis and daemons:
# FreeSWITCH-shaped POSTs (raw JSON, cdr= form, cdr= base64) -> cdr-collector
# -> Redis -> cdr-writer -> voip.cdr -> GET /api/cdr with API keys.
. "$(dirname "$0")/../lib/harness.sh"
harness_init
start_pg
start_redis
migrate

DATA=$ROOT/tests/data/freeswitch/json_cdr
HOLD=$DATA/cgrates_2018_aleg_answered_hold_pretty.json
COMPACT=$DATA/cgrates_2018_aleg_answered_compact.json
LEGACY=$DATA/cgrates_2014_aleg_legacy_duplicate_callflow_keys.json
CDR_PORT=$(free_port)
API_PORT=$(free_port)
CDR_URL=http://127.0.0.1:$CDR_PORT/cdr
API=http://127.0.0.1:$API_PORT

ROUTER_PUB=ipc://$T/run/fake-router.pub
daemon_conf api-gateway <<EOF
[http]
listen = 127.0.0.1:$API_PORT
[pg]
dsn = $PG_DSN
[fleet]
members = cdr-collector,cdr-writer
EOF
start_cdr_path "$(printf '[batch]\nwait = 5ms')" "$(printf '[bus]\nsubscribe = %s' "$ROUTER_PUB")"
start_daemon api-gateway

post() { # FILE ENCODING -> HTTP status
	local f=$1 enc=$2
	case $enc in
	json) curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$f" "$CDR_URL?uuid=x" ;;
	form) curl -s -o "$T/resp" -w '%{http_code}' --data-urlencode "cdr@$f" "$CDR_URL" ;;
	base64) printf 'cdr=%s' "$(base64 -w0 "$f")" >"$T/b64"
		curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/x-www-form-base64-encoded' \
			--data-binary @"$T/b64" "$CDR_URL" ;;
	esac
}

log "posting the three samples, each in all three encodings (9 POSTs, 3 legs)"
for f in "$HOLD" "$COMPACT" "$LEGACY"; do
	for enc in json form base64; do
		assert_eq 200 "$(post "$f" "$enc")" "POST $(basename "$f") as $enc"
	done
done
grep -q '"status":"queued"' "$T/resp" || die "collector reply: $(cat "$T/resp")"

wait_until 20 sql_is 'SELECT count(*) FROM voip.cdr' 3 ||
	die "expected 3 rows, have $(psql_q 'SELECT count(*) FROM voip.cdr')"
assert_eq 3 "$(psql_q 'SELECT count(DISTINCT leg_uuid) FROM voip.cdr')" "distinct legs"
wait_until 10 sh -c "'$BIN/cdr-writer' -c '$T/etc/cdr-writer.conf' -j stats | jq -e '.rows_duplicate == 6'" ||
	die "writer should report 6 duplicates: $(ctl cdr-writer -j stats)"

log "API keys from the gateway's CLI"
KEY=$(ctl api-gateway -j apikey-create reader cdr:read | jq -r .key)
DIRKEY=$(ctl api-gateway -j apikey-create dironly directory:read | jq -r .key)
[[ $KEY == tdk_* ]] || die "no key created: $KEY"
ctl api-gateway apikey-list | grep -q reader || die "apikey-list does not show the key"

get() { # PATH [KEY] -> body in $T/out, status echoed
	local h=()
	[ -n "${2:-}" ] && h=(-H "Authorization: Bearer $2")
	curl -s -o "$T/out" -w '%{http_code}' "${h[@]}" "$API$1"
}

assert_eq 401 "$(get /api/cdr)" "no key"
assert_eq 401 "$(get /api/cdr tdk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)" "unknown key"
assert_eq 401 "$(get /api/cdr "${KEY%?}x")" "wrong secret"
assert_eq 401 "$(get /api/cdr garbage)" "malformed key"
assert_eq 403 "$(get /api/cdr "$DIRKEY")" "key without cdr:read"
assert_eq 200 "$(get /api/cdr "$KEY")" "key with cdr:read"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" "$API/api/cdr")" "X-API-Key header"

log "the samples come back with the right fields"
assert_eq 3 "$(jq '.items | length' "$T/out")" "items"
# Hold sample: A-leg 1001 -> 1002, billsec 68 (see tests/data/freeswitch/README.md).
get "/api/cdr?caller=1001&limit=10" "$KEY" >/dev/null
HOLD_UUID=$(jq -r '.variables.uuid' "$HOLD")
COMPACT_UUID=$(tr -d '\n' <"$COMPACT" | jq -r '.variables.uuid')
row() { jq -c --arg u "$1" '.items[] | select(.leg_uuid == $u)' "$T/out"; }
r=$(row "$HOLD_UUID")
[ -n "$r" ] || die "hold sample $HOLD_UUID not returned by caller=1001: $(cat "$T/out")"
assert_eq 68 "$(jq -r .billsec <<<"$r")" "hold billsec"
assert_eq 1002 "$(jq -r .destination_number <<<"$r")" "hold destination"
assert_eq inbound "$(jq -r .direction <<<"$r")" "hold direction"
assert_eq a "$(jq -r .leg <<<"$r")" "hold leg"
assert_eq freeswitch "$(jq -r .source <<<"$r")" "hold source"
assert_eq "$(jq -r .variables.hangup_cause "$HOLD")" "$(jq -r .hangup_cause <<<"$r")" "hold hangup cause"
assert_eq "$(jq -r .variables.sip_call_id "$HOLD")" "$(jq -r .sip_call_id <<<"$r")" "hold Call-ID"
start_exp=$(jq -r .variables.start_uepoch "$HOLD")
start_got=$(psql_q "SELECT (extract(epoch FROM start_time) * 1000000)::bigint FROM voip.cdr WHERE leg_uuid = '$HOLD_UUID'")
assert_eq "$start_exp" "$start_got" "hold start time (µs)"
r=$(row "$COMPACT_UUID")
[ -n "$r" ] || die "compact sample not returned"
assert_eq 21 "$(jq -r .billsec <<<"$r")" "compact billsec"
[ "$(jq -r .mos <<<"$r")" != null ] || die "compact sample should carry a MOS"

log "filters and keyset pagination"
assert_eq 200 "$(get "/api/cdr?destination=no-such-number" "$KEY")" "empty filter"
assert_eq 0 "$(jq '.items | length' "$T/out")" "no rows for unknown destination"
assert_eq 200 "$(get "/api/cdr?hangup_cause=NORMAL_CLEARING&direction=inbound" "$KEY")" "cause+direction"
assert_eq 3 "$(jq '.items | length' "$T/out")" "rows by cause"
assert_eq 200 "$(get "/api/cdr?from=2018-01-01T00:00:00Z&to=2018-02-01T00:00:00Z" "$KEY")" "time range"
assert_eq 1 "$(jq '.items | length' "$T/out")" "rows in January 2018 (the hold sample)"
assert_eq 400 "$(get "/api/cdr?callr=1001" "$KEY")" "unknown parameter"
grep -q "callr" "$T/out" || die "400 should name the parameter: $(cat "$T/out")"
assert_eq 400 "$(get "/api/cdr?limit=0" "$KEY")" "bad limit"
seen=""
cursor=""
for page in 1 2 3; do
	assert_eq 200 "$(get "/api/cdr?limit=1${cursor:+&cursor=$cursor}" "$KEY")" "page $page"
	seen="$seen $(jq -r '.items[0].leg_uuid' "$T/out")"
	cursor=$(jq -r '.next_cursor // empty' "$T/out")
done
[ -z "$cursor" ] || die "after 3 of 3 rows there must be no next cursor"
assert_eq 3 "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)" "pages return distinct rows"
want=$(psql_q "SELECT string_agg(leg_uuid, ' ' ORDER BY start_time DESC, id DESC) FROM voip.cdr")
assert_eq "$want" "${seen# }" "pagination order (newest first)"

log "revocation takes effect at once on this node"
KID=$(ctl api-gateway -j apikey-list | jq -r '.[] | select(.name == "reader") | .key_id')
ctl api-gateway apikey-revoke "$KID" >/dev/null
assert_eq 401 "$(get /api/cdr "$KEY")" "revoked key"

log "malformed CDRs: 400 with a reason, counted, body kept in the dead-letter list"
printf '{"variables":{"uuid":"abc"' >"$T/trunc.json"
assert_eq 400 "$(post "$T/trunc.json" json)" "truncated JSON"
jq -e '.error.message | length > 0' "$T/resp" >/dev/null || die "400 without a reason: $(cat "$T/resp")"
printf 'cdr=%%%%%%' >"$T/badform"
assert_eq 400 "$(curl -s -o "$T/resp" -w '%{http_code}' --data-binary @"$T/badform" "$CDR_URL")" "bad form"
assert_eq 2 "$(rcli LLEN tandem:cdr:dead)" "dead letters"
assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' "$CDR_URL")" "GET on the CDR path"
ctl cdr-collector -j stats | jq -e '.rejected.decode + .rejected.invalid == 2' >/dev/null ||
	die "collector should count 2 rejections: $(ctl cdr-collector -j stats)"
daemon_alive cdr-collector || die "collector died on bad input"

log "call-ended events (calls that never reached FreeSWITCH): acknowledged inbox"
now=$(date +%s)
"$BIN/bus-tool" submit "ipc://$T/run/cdr-collector.inbox" kind=ended call_id=c1@router \
	leg_id=router-leg-1 from=1001 to=1002 direction=internal domain=lab.test \
	start_us=$((now * 1000000)) answer_us=$(((now + 2) * 1000000)) end_us=$(((now + 32) * 1000000)) \
	status=200 cause=NORMAL_CLEARING q850=16 disposition=recv_bye >"$T/submit.out" 2>&1 ||
	die "submit not acknowledged: $(cat "$T/submit.out")"
wait_until 10 sql_is "SELECT count(*) FROM voip.cdr WHERE leg_uuid = 'router-leg-1'" 1 ||
	die "the router's CDR did not reach voip.cdr"
assert_eq "sip-router|1001|1002|30|200|c1@router" \
	"$(psql_q "SELECT source, caller_id_number, destination_number, billsec, sip_term_status, sip_call_id
	           FROM voip.cdr WHERE leg_uuid = 'router-leg-1'")" "router CDR fields"
if "$BIN/bus-tool" submit "ipc://$T/run/cdr-collector.inbox" kind=ended call_id=c2 from=1 \
	>"$T/submit.out" 2>&1; then
	die "an event without leg_id or times must not be acknowledged"
fi
grep -q "not acknowledged" "$T/submit.out" || die "no reason given: $(cat "$T/submit.out")"

log "call-ended events: best-effort pub/sub (repeats are stored once)"
"$BIN/bus-tool" publish "$ROUTER_PUB" --count 20 --interval 200 kind=ended call_id=c3@router \
	leg_id=router-leg-2 from=1003 to=1004 start_us=$((now * 1000000)) end_us=$(((now + 5) * 1000000)) \
	status=486 cause=USER_BUSY q850=17 >"$T/publish.out" 2>&1 &
PUB=$!
wait_until 15 sql_is "SELECT count(*) FROM voip.cdr WHERE leg_uuid = 'router-leg-2'" 1 ||
	die "the published call-ended event did not become a row"
wait "$PUB"
sleep 1
assert_eq "1|486|USER_BUSY|0" "$(psql_q "SELECT count(*), max(sip_term_status), max(hangup_cause), max(billsec)
	FROM voip.cdr WHERE leg_uuid = 'router-leg-2'")" "published event stored once, unanswered"
ctl cdr-collector -j stats | jq -e '.accepted_events >= 2 and .bus.received >= 1' >/dev/null ||
	die "collector stats should count the events: $(ctl cdr-collector -j stats)"

log "health and metrics"
assert_eq 200 "$(get /health)" "health"
assert_eq ok "$(jq -r .status "$T/out")" "health status (collector and writer up)"
assert_eq 200 "$(get /metrics)" "metrics"
grep -q "^tandem_cdr_writer_rows_inserted_total{daemon=\"cdr-writer\"} 5$" "$T/out" ||
	die "fleet metrics should carry the writer's counter: $(grep rows_inserted "$T/out")"
grep -q '^tandem_fleet_member_up{daemon="api-gateway",member="cdr-collector"} 1$' "$T/out" ||
	die "member_up missing"
stop_daemon cdr-writer
get /health >/dev/null
assert_eq degraded "$(jq -r .status "$T/out")" "health with the writer down"
start_daemon cdr-writer

log "Basic auth as mod_json_cdr's cred sends it"
stop_daemon cdr-collector
printf '[http]\nauth_user = fs\nauth_password = s3cret\n' >>"$T/etc/cdr-collector.conf"
start_daemon cdr-collector
assert_eq 401 "$(post "$COMPACT" json)" "no credentials"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -u fs:s3cret --data-binary @"$COMPACT" "$CDR_URL")" "right credentials"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -u fs:wrong --data-binary @"$COMPACT" "$CDR_URL")" "wrong password"

log "config errors name the key"
out=$("$BIN/cdr-writer" -c "$T/etc/cdr-writer.conf" --set batch.max=0 --check-config 2>&1)
assert_eq 78 "$?" "exit status for a bad value"
grep -q "batch.max" <<<"$out" || die "message should name batch.max: $out"
log "PASS"
