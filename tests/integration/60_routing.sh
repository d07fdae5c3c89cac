#!/usr/bin/env bash
# 60_routing: sip-router's routing data against a real PostgreSQL, through
# the router's own loader (services/sip-router/routing.c, driven by
# tools/routing-probe): what is loaded from a seeded database (every
# extension type, trunk prefixes with strip/prepend, priorities and health,
# users with their HA1s and realms, trunk addresses, disabled things left
# out); changes becoming visible without any restart through the
# NOTIFY triggers of 0012_routing_notify.sql (the periodic reload is set to
# an hour, so nothing else can explain them); a reload on request while
# notifications are switched off; and PostgreSQL stopped (fast, then
# immediate) and started again: the snapshot stays in force meanwhile and
# loading resumes on its own.
#
#   make VARIANT=asan build/asan/bin/db-migrate build/asan/bin/routing-probe &&
#       tests/run --only integration 60_routing
. "$(dirname "$0")/../lib/harness.sh"
harness_init
for b in db-migrate routing-probe; do
	[ -x "$BIN/$b" ] || die "no $BIN/$b: make VARIANT=asan build/asan/bin/$b"
done
start_pg
migrate

sql() { pg_psql "$T/pg" "$PGPORT" -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null || die "SQL failed: $1"; }

# ---- the triggers ---------------------------------------------------------------
# tgtype bits: 1 row-level, 4 insert, 8 delete, 16 update, 32 truncate.
assert_eq "domains extensions ivr_menus queues trunks users" \
	"$(psql_q "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_trigger t
	    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	   WHERE t.tgname = 'routing_notify' AND n.nspname = 'voip'
	     AND t.tgtype & 1 = 0 AND t.tgtype & (4|8|16|32) = (4|8|16|32)")" \
	"statement-level INSERT/UPDATE/DELETE/TRUNCATE triggers"
for t in domains users extensions trunks queues ivr_menus; do
	out=$(pg_psql "$T/pg" "$PGPORT" -At -c 'LISTEN tandem_routing' \
		-c "UPDATE voip.$t SET updated_at = updated_at WHERE false" 2>&1)
	echo "$out" | grep -q "notification \"tandem_routing\" with payload \"$t\"" ||
		die "no notification for voip.$t: $out"
done
log "ok: every table behind the routing data notifies tandem_routing with its name"

# ---- seed --------------------------------------------------------------------------
pg_psql "$T/pg" "$PGPORT" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || die "seeding failed"
INSERT INTO voip.domains (name) VALUES ('lab.test');
INSERT INTO voip.domains (name, realm) VALUES ('other.test', 'other-realm');
INSERT INTO voip.domains (name, enabled) VALUES ('off.test', false);
INSERT INTO voip.users (domain_id, username, max_contacts)
  SELECT d.id, u, 2 FROM voip.domains d, unnest(ARRAY['1001', '1002', '1003', 'alice']) u WHERE d.name = 'lab.test';
UPDATE voip.users SET enabled = false WHERE username = '1003';
INSERT INTO voip.users (domain_id, username) SELECT id, 'carol' FROM voip.domains WHERE name = 'other.test';
INSERT INTO voip.users (domain_id, username) SELECT id, 'dave' FROM voip.domains WHERE name = 'off.test';
SELECT voip.user_set_password(id, 's3cret') FROM voip.users WHERE username IN ('1001', 'carol', 'dave');
INSERT INTO voip.queues (domain_id, name) SELECT id, 'sales' FROM voip.domains WHERE name = 'lab.test';
INSERT INTO voip.ivr_menus (domain_id, name) SELECT id, 'main' FROM voip.domains WHERE name = 'lab.test';
INSERT INTO voip.trunks (name, host, port, transport, inbound_cidrs, health) VALUES
  ('carrier-a', '127.0.0.2', 5060, 'udp', '{198.51.100.0/24}', 'up'),
  ('carrier-b', 'localhost', 5080, 'tcp', '{}', 'unknown'),
  ('carrier-c', 'no-such-host.invalid', 5060, 'udp', '{}', 'unknown');
INSERT INTO voip.trunks (name, host, enabled) VALUES ('carrier-off', '127.0.0.3', false);

WITH d AS (SELECT id FROM voip.domains WHERE name = 'lab.test')
INSERT INTO voip.extensions (domain_id, number, type, user_id, queue_id, ivr_menu_id, enabled)
SELECT d.id, x.number, x.type,
       (SELECT u.id FROM voip.users u WHERE u.domain_id = d.id AND u.username = x.uname),
       (SELECT q.id FROM voip.queues q WHERE q.domain_id = d.id AND x.type = 'queue'),
       (SELECT m.id FROM voip.ivr_menus m WHERE m.domain_id = d.id AND x.type = 'ivr'),
       x.enabled
  FROM d, (VALUES ('1001', 'user', '1001', true), ('1002', 'user', '1002', true),
                  ('1003', 'user', '1003', true), ('7000', 'user', '1001', false),
                  ('5000', 'queue', NULL, true), ('6000', 'ivr', NULL, true),
                  ('*97', 'voicemail', NULL, true), ('*981001', 'voicemail', '1001', true),
                  ('8000', 'conference', NULL, true)) AS x(number, type, uname, enabled);

INSERT INTO voip.extensions (domain_id, number, type, trunk_id, strip_digits, prepend, priority)
SELECT d.id, r.prefix, 'trunk_out', t.id, r.strip, r.prepend, r.prio
  FROM voip.domains d, voip.trunks t,
       (VALUES ('0', 'carrier-a', 1, '+49', 10), ('0', 'carrier-b', 1, '0049', 20),
               ('00', 'carrier-b', 2, '+', 10), ('', 'carrier-c', 0, '', 100),
               ('9', 'carrier-off', 0, '', 10)) AS r(prefix, trunk, strip, prepend, prio)
 WHERE d.name = 'lab.test' AND t.name = r.trunk;

INSERT INTO voip.extensions (domain_id, number, type, user_id)
SELECT u.domain_id, '1001', 'user', u.id FROM voip.users u WHERE u.username = 'carol';
INSERT INTO voip.extensions (domain_id, number, type, user_id)
SELECT u.domain_id, '1001', 'user', u.id FROM voip.users u WHERE u.username = 'dave';
SQL
log "seeded: 3 domains (one disabled), 6 users, 14 extensions, 4 trunks"

# ---- one load ----------------------------------------------------------------------
"$BIN/routing-probe" --dsn "$PG_DSN" --wait 20 \
	--addr 127.0.0.2 --addr 198.51.100.7 --addr 127.0.0.1 --addr ::ffff:127.0.0.2 \
	--addr 127.0.0.3 --addr 127.0.0.9 \
	--user 1001@lab.test --user 1002@lab.test --user 1003@lab.test --user carol@other.test \
	--user dave@off.test \
	1001@LAB.TEST 5000@lab.test 6000@lab.test '*97@lab.test' '*981001@lab.test' 8000@lab.test \
	030123@lab.test 0033123@lab.test 555@lab.test 1003@lab.test 7000@lab.test 9123@lab.test \
	1001@other.test 1002@other.test 1001@off.test alice@lab.test \
	>"$T/once.json" 2>>"$T/log/routing-probe-once.log" || die "routing-probe failed: $(tail -n 3 "$T/log/routing-probe-once.log")"
q() { jq -r "$1" "$T/once.json"; }
# 2 enabled domains; users 1001, 1002, alice (lab.test) and carol (other.test):
# 1003 is disabled, dave's domain is; extensions: 7 of lab.test (1003's user and 7000
# are disabled) + other.test's 1001; trunk routes '0' x2, '00', '' (the '9'
# route's trunk is disabled).
assert_eq "2 4 8 4" "$(q '.stats | "\(.domains) \(.users) \(.extensions) \(.trunk_routes)"')" \
	"domains, users, extensions, trunk routes loaded"
assert_eq "0 1" "$(q '.stats | "\(.skipped) \(.unresolved)"')" "skipped rows, unresolved hosts (no-such-host.invalid)"
assert_eq "user lab.test 1001 1001 2 false" \
	"$(q '.routes[0].route | "\(.kind) \(.domain) \(.extension) \(.username) \(.max_contacts) \(.need_media)"')" \
	"1001@LAB.TEST (domain case-insensitive)"
assert_eq "queue sales true" "$(q '.routes[1].route | "\(.kind) \(.name) \(.need_media)"')" "5000: queue"
assert_eq "ivr main true" "$(q '.routes[2].route | "\(.kind) \(.name) \(.need_media)"')" "6000: ivr"
assert_eq "voicemail  true" "$(q '.routes[3].route | "\(.kind) \(.username) \(.need_media)"')" "*97: own mailbox"
assert_eq "voicemail 1001" "$(q '.routes[4].route | "\(.kind) \(.username)"')" "*981001: 1001's mailbox"
assert_eq "conference true" "$(q '.routes[5].route | "\(.kind) \(.need_media)"')" "8000: conference"
assert_eq "trunk_out 0 carrier-a:+4930123:udp:5060:true carrier-b:004930123:tcp:5080:true" \
	"$(q '.routes[6].route | "\(.kind) \(.prefix) " + ([.trunks[] | "\(.name):\(.number):\(.transport):\(.port):\(.healthy)"] | join(" "))')" \
	"030123: prefix 0, by priority, strip 1 / prepend"
assert_eq "00 carrier-b:+33123" \
	"$(q '.routes[7].route | "\(.prefix) " + ([.trunks[] | "\(.name):\(.number)"] | join(" "))')" \
	"0033123: the longest prefix (00)"
assert_eq " carrier-c:555" \
	"$(q '.routes[8].route | "\(.prefix) " + ([.trunks[] | "\(.name):\(.number)"] | join(" "))')" \
	"555: the default route ''"
assert_eq "trunk_out " "$(q '.routes[9].route | "\(.kind) \(.prefix)"')" \
	"1003 (user disabled): not a user route, falls to the default route"
assert_eq "trunk_out " "$(q '.routes[10].route | "\(.kind) \(.prefix)"')" \
	"7000 (extension disabled): falls to the default route"
assert_eq " carrier-c" "$(q '.routes[11].route | "\(.prefix) \(.trunks[0].name)"')" \
	"9123: the prefix 9 of a disabled trunk is no route"
assert_eq "user carol other-realm" \
	"$(q '"\(.routes[12].route.kind) \(.routes[12].route.username) \(.routes[12].realm)"')" \
	"1001@other.test: another domain, its realm"
assert_eq "null not found" "$(q '"\(.routes[13].route) \(.routes[13].error)"')" \
	"1002@other.test: unknown number, no trunk routes"
assert_eq "false null" "$(q '"\(.routes[14].local) \(.routes[14].route)"')" "off.test: disabled domain"
assert_eq "null false" "$(q '"\(.routes[15].route) \(.routes[15].user.can_authenticate)"')" \
	"alice@lab.test: a user name never goes to a carrier (and alice has no password)"
assert_eq "true true true true false false" "$(q '[.addrs[].trunk] | map(tostring) | join(" ")')" \
	"trunk addresses: host IP, inbound network, resolved name, v4-mapped; disabled trunk, stranger"

# HA1s as the database computed them (docs/schema.md's check value for 1001:lab.test:s3cret).
want_sha=$(printf '1001:lab.test:s3cret' | sha256sum | cut -d' ' -f1)
assert_eq "true lab.test f9c319be8ef5f22bf989e5936b21ed23 $want_sha 2" \
	"$(q '.users[0] | "\(.found) \(.realm) \(.ha1_md5) \(.ha1_sha256) \(.max_contacts)"')" \
	"1001@lab.test credentials"
assert_eq "true " "$(q '.users[1] | "\(.found) \(.ha1_md5)"')" "1002: present without a password"
assert_eq "false" "$(q '.users[2].found')" "1003: disabled user absent"
assert_eq "other-realm $(printf 'carol:other-realm:s3cret' | md5sum | cut -d' ' -f1)" \
	"$(q '.users[3] | "\(.realm) \(.ha1_md5)"')" "carol: HA1 over the domain's realm"
assert_eq "false" "$(q '.users[4].found')" "dave: user of a disabled domain absent"

# ---- watching: changes without a restart ------------------------------------------------
"$BIN/routing-probe" --dsn "$PG_DSN" --wait 20 --watch --interval 3600000 --debounce 100 \
	--log-level debug 1001@lab.test 1011@lab.test 030123@lab.test 1001@other.test \
	>"$T/watch.jsonl" 2>>"$T/log/routing-probe.log" &
PROBE=$!
DAEMON_PID[routing-probe]=$PROBE # the harness stops it on exit
# w JQ: on the newest line the probe printed; w_is JQ EXPECTED: for wait_until.
w() { tail -n 1 "$T/watch.jsonl" 2>/dev/null | jq -r "$1" 2>/dev/null; }
w_is() { [ "$(w "$1")" = "$2" ]; }
wait_until 20 w_is '.stats.ready' true || die "the watching probe did not load"
v0=$(w .stats.version)
assert_eq "1001 trunk_out true" "$(w '"\(.routes[0].route.username) \(.routes[1].route.kind) \(.stats.pg_up)"')" \
	"watching from version $v0"

log "renumber 1001 -> 1011 in the database"
sql "UPDATE voip.extensions SET number = '1011' WHERE number = '1001' AND domain_id = (SELECT id FROM voip.domains WHERE name = 'lab.test')"
wait_until 10 w_is '"\(.routes[0].route.kind) \(.routes[1].route.username)"' "trunk_out 1001" ||
	die "renumbering not visible within 10 s: $(w '.routes[0:2]')"
[ "$(w .stats.notifies)" -ge 1 ] || die "no notification counted"
log "ok: 1011 routes to 1001 and 1001 falls to the default route (version $(w .stats.version), $(w .stats.notifies) notifications)"

log "carrier-a goes down"
sql "UPDATE voip.trunks SET health = 'down' WHERE name = 'carrier-a'"
wait_until 10 w_is '[.routes[2].route.trunks[] | "\(.name):\(.healthy)"] | join(" ")' \
	"carrier-b:true carrier-a:false" || die "health order not visible: $(w '.routes[2]')"
log "ok: healthy carrier-b (priority 20) now before carrier-a (priority 10, down)"

log "disable other.test"
sql "UPDATE voip.domains SET enabled = false WHERE name = 'other.test'"
wait_until 10 w_is '"\(.routes[3].local) \(.routes[3].route)"' "false null" ||
	die "disabled domain still routed: $(w '.routes[3]')"
log "ok: other.test gone"

# ---- a reload on request, with notifications off -----------------------------------------
sql "ALTER TABLE voip.extensions DISABLE TRIGGER routing_notify"
vn=$(w .stats.version)
sql "UPDATE voip.extensions SET number = '1001' WHERE number = '1011'"
sleep 2
assert_eq "$vn 1001" "$(w '"\(.stats.version) \(.routes[1].route.username)"')" \
	"without a notification nothing reloads (reload interval 1 h)"
kill -HUP "$PROBE"
wait_until 10 w_is '"\(.routes[0].route.username) \(.routes[1].route.kind)"' "1001 trunk_out" ||
	die "rt_reload did not reload: $(w '.routes[0:2]')"
log "ok: rt_reload (SIGHUP) reloaded: 1001 is back"
sql "ALTER TABLE voip.extensions ENABLE TRIGGER routing_notify"

# ---- PostgreSQL goes away, and comes back ----------------------------------------------------
for mode in fast immediate; do
	vb=$(w .stats.version)
	log "stop PostgreSQL ($mode)"
	pg_stop "$T/pg" "$mode"
	wait_until 20 w_is .stats.pg_up false || die "the probe did not notice PostgreSQL stopping"
	assert_eq "$vb 1001 carrier-b" "$(w '"\(.stats.version) \(.routes[0].route.username) \(.routes[2].route.trunks[0].name)"')" \
		"PostgreSQL down: the snapshot stays in force"
	sleep 2
	assert_eq "false 1001" "$(w '"\(.stats.pg_up) \(.routes[0].route.username)"')" "still serving 2 s later"
	pg_start "$T/pg" "$PGPORT" || die "PostgreSQL did not restart"
	wait_until 30 w_is '.stats.pg_up' true || die "the probe did not reconnect"
	wait_until 10 w_is "(.stats.version > $vb)" true || die "no reload after reconnecting"
	log "ok: reconnected and reloaded (version $vb -> $(w .stats.version))"
	sql "UPDATE voip.extensions SET number = '1021' WHERE number = '1001' AND domain_id = (SELECT id FROM voip.domains WHERE name = 'lab.test')"
	wait_until 10 w_is '.routes[0].route.kind' trunk_out || die "change after restart not visible (LISTEN lost?)"
	sql "UPDATE voip.extensions SET number = '1001' WHERE number = '1021'"
	wait_until 10 w_is '.routes[0].route.username' 1001 || die "second change after restart not visible"
	log "ok: notifications flow again after the $mode restart"
done
assert_eq 0 "$(w .stats.load_failures)" "load failures (the loader never read half a database)"

kill -TERM "$PROBE"
wait "$PROBE"
rc=$?
unset "DAEMON_PID[routing-probe]"
assert_eq 0 "$rc" "routing-probe exit status after SIGTERM"
grep -q 'id=SIPR-ROUTING-PG-LOST' "$T/log/routing-probe.log" || die "no SIPR-ROUTING-PG-LOST log line"
grep -q 'id=SIPR-ROUTING-DNS .*no-such-host.invalid' "$T/log/routing-probe.log" || die "unresolvable host not logged"
log "PASS"
