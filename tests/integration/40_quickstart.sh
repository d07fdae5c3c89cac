#!/usr/bin/env bash
# The README's first command: `scripts/tandem up` starts the fleet with its
# own PostgreSQL and Redis, a CDR goes all the way through, `down` stops
# everything, and `up` again finds the data where it was.  Runs on free
# ports in a private state folder, with the release binaries the command
# itself builds.
. "$(dirname "$0")/../lib/harness.sh"
harness_init

export TANDEM_STATE=$T/var TANDEM_NO_INSTALL=1
export TANDEM_PG_PORT=$(free_port) TANDEM_REDIS_PORT=$(free_port)
export TANDEM_CDR_PORT=$(free_port) TANDEM_API_PORT=$(free_port) TANDEM_SIP_PORT=$(free_port)
fleet_down() { scripts/tandem down >>"$T/log/tandem.log" 2>&1; }
trap 'fleet_down; harness_cleanup' EXIT

log "scripts/tandem up"
scripts/tandem up >"$T/log/tandem.log" 2>&1 || die "up failed: $(tail -n 20 "$T/log/tandem.log")"
grep -q "tandem is running" "$T/log/tandem.log" || die "up did not say where things listen"
grep -q "127.0.0.1:$TANDEM_CDR_PORT/cdr" "$T/log/tandem.log" || die "up did not print the CDR URL"
status=$(scripts/tandem status 2>&1)
for d in cdr-writer cdr-collector sip-router api-gateway; do
	grep -q "== $d" <<<"$status" || die "status lacks $d: $status"
done
[ "$(grep -c 'state.*running' <<<"$status")" -ge 4 ] || die "not every daemon is running: $status"

log "a phone account, routed by the sip-router without a restart"
scripts/tandem add-user 1001 'a secret; with quotes '"'"'' >>"$T/log/tandem.log" 2>&1 || die "add-user failed"
routes_user() {
	scripts/tandem ctl sip-router -j route 1001@tandem.local | jq -e '.route.kind == "user"' >/dev/null
}
wait_until 10 routes_user || die "1001@tandem.local does not route: $(scripts/tandem ctl sip-router route 1001@tandem.local)"

log "a CDR through the running fleet"
curl -sf --data-binary @tests/data/freeswitch/json_cdr/cgrates_2018_aleg_answered_compact.json \
	"http://127.0.0.1:$TANDEM_CDR_PORT/cdr" >/dev/null || die "POST refused"
KEY=$(scripts/tandem ctl api-gateway -j apikey-create quickstart cdr:read | jq -r .key)
api_count() {
	curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$TANDEM_API_PORT/api/cdr" | jq '.count'
}
api_has_one() { [ "$(api_count)" = 1 ]; }
wait_until 20 api_has_one || die "the CDR did not come back from the API"

log "one daemon restarted alone; the rest keep serving"
scripts/tandem restart cdr-writer >/dev/null
wait_until 20 sh -c "scripts/tandem ctl cdr-writer -j status | jq -e '.state == \"running\"'" ||
	die "cdr-writer did not come back"
curl -sf -o /dev/null "http://127.0.0.1:$TANDEM_API_PORT/health" || die "gateway stopped serving"

log "a daemon killed with SIGKILL is restarted by the runner"
pid=$(cat "$TANDEM_STATE/run/cdr-collector.pid")
kill -9 "$pid"
new_pid() { [ -f "$TANDEM_STATE/run/cdr-collector.pid" ] && [ "$(cat "$TANDEM_STATE/run/cdr-collector.pid")" != "$pid" ]; }
wait_until 20 new_pid || die "cdr-collector was not restarted"
collector_up() { scripts/tandem ctl cdr-collector -j status | jq -e '.state == "running"' >/dev/null; }
wait_until 20 collector_up || die "the restarted cdr-collector does not answer"

log "down, up: the data is kept"
fleet_down
grep -q "tandem stopped" "$T/log/tandem.log" || die "down did not report"
! pgrep -f "$TANDEM_STATE/etc/cdr-writer.conf" >/dev/null || die "a daemon survived down"
scripts/tandem up >>"$T/log/tandem.log" 2>&1 || die "second up failed"
wait_until 20 api_has_one || die "after restart the API returns $(api_count) CDRs, expected 1"
log "PASS"
