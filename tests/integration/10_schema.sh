#!/usr/bin/env bash
# 10_schema: the voip_platform schema and db-migrate against a private
# PostgreSQL: fresh migrate, no-op re-run, checksum refusal, failing
# migration rollback, concurrent runs, CDR partition maintenance (including
# moving rows out of the DEFAULT partition), the CDR idempotency key, the
# extension model's constraints, the routing and directory views, and the
# digest HA1s.
#
#   make VARIANT=asan build/asan/bin/db-migrate && tests/run --only integration 10_schema
. "$(dirname "$0")/../lib/harness.sh"
harness_init
[ -x "$BIN/db-migrate" ] || die "no $BIN/db-migrate: make VARIANT=asan build/asan/bin/db-migrate"
MIG=$ROOT/db/migrations
start_pg

# psql_fail SQL PATTERN WHAT: the statement must fail with a message matching PATTERN.
psql_fail() {
	local out
	if out=$(pg_psql "$T/pg" "$PGPORT" -At -c "$1" 2>&1); then
		die "$3: statement succeeded but should have failed: $1"
	fi
	echo "$out" | grep -q -E "$2" || die "$3: error does not match /$2/: $out"
	log "ok: $3 refused ($(echo "$out" | grep -o -E "$2" | head -n 1))"
}
run_migrate() { # LOGNAME ARGS...
	local name=$1
	shift
	"$BIN/db-migrate" "$@" >"$T/log/$name.log" 2>&1
}
# month_name OFFSET: the partition name for the UTC month OFFSET months from now.
month_name() { date -u -d "$(date -u +%Y-%m-01) $1 month" +cdr_y%Ym%m; }

# ---- fresh database ----------------------------------------------------------
log "fresh database: migrate"
migrate
for rel in voip.domains voip.users voip.trunks voip.queues voip.agents voip.queue_members \
	voip.ivr_menus voip.ivr_entries voip.extensions voip.recording_policies voip.recordings \
	voip.api_keys voip.cdr voip.cdr_default voip.routing voip.directory \
	monitoring.schema_migrations monitoring.node_health monitoring.failover_events; do
	assert_eq "$rel" "$(psql_q "SELECT to_regclass('$rel')")" "relation $rel exists"
done
for fn in 'voip.user_set_password(bigint,text)' 'voip.trunk_set_password(bigint,text)' \
	'voip.cdr_ensure_partitions(integer,integer)' 'voip.cdr_create_partition(date)' \
	'voip.recording_policy_for(text,text,text)'; do
	assert_eq "$fn" "$(psql_q "SELECT to_regprocedure('$fn')::text")" "function $fn exists"
done
assert_eq "" "$(psql_q "SELECT string_agg(n.nspname || '.' || c.relname, ' ')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname IN ('voip', 'monitoring') AND c.relkind IN ('r', 'p', 'v')
	  AND NOT c.relispartition AND obj_description(c.oid, 'pg_class') IS NULL")" \
	"tables and views without COMMENT"

nfiles=$(find "$MIG" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]_*.sql' | wc -l)
assert_eq "$nfiles" "$(psql_q 'SELECT count(*) FROM monitoring.schema_migrations')" "migrations recorded"
for f in "$MIG"/[0-9][0-9][0-9][0-9]_*.sql; do
	b=$(basename "$f")
	assert_eq "$(sha256sum <"$f" | cut -d' ' -f1)" \
		"$(psql_q "SELECT sha256 FROM monitoring.schema_migrations WHERE version = ${b:0:4}::int")" \
		"recorded checksum of $b"
done

# ---- re-runs ---------------------------------------------------------------------
log "migrate again is a no-op"
before=$(psql_q "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM monitoring.schema_migrations")
run_migrate again --dsn "$PG_DSN" --dir "$MIG" || die "second migrate failed: $(tail -n 3 "$T/log/again.log")"
grep -q 'id=MIGR-UP-TO-DATE' "$T/log/again.log" || die "second run did not report up to date"
assert_eq 0 "$(grep -c 'id=MIGR-APPLY ' "$T/log/again.log")" "files applied by the second run"
assert_eq "$before" "$(psql_q "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM monitoring.schema_migrations")" \
	"bookkeeping unchanged by the second run"
run_migrate status --dsn "$PG_DSN" --dir "$MIG" --status || die "--status failed"
grep -q "^$nfiles applied, 0 pending, 0 changed, 0 missing$" "$T/log/status.log" ||
	die "--status: $(tail -n 1 "$T/log/status.log")"
log "ok: --status says $nfiles applied"

log "every migration file also re-runs cleanly by hand"
for f in "$MIG"/[0-9][0-9][0-9][0-9]_*.sql; do
	pg_psql "$T/pg" "$PGPORT" -c 'SET client_min_messages = warning' -f "$f" >>"$T/log/rerun.log" 2>&1 ||
		die "re-running $(basename "$f") failed: $(tail -n 3 "$T/log/rerun.log")"
done
log "ok: all $nfiles files re-ran"

# ---- tampering and failures ------------------------------------------------------
log "a changed applied migration is refused, and nothing else runs"
cp -r "$MIG" "$T/mig"
victim=$(find "$T/mig" -name '0002_*.sql')
printf ' ' >>"$victim"
printf 'CREATE TABLE voip.must_not_exist (a int);\n' >"$T/mig/9999_later.sql"
if run_migrate tampered --dsn "$PG_DSN" --dir "$T/mig"; then
	die "db-migrate accepted a tampered migration"
fi
grep 'id=MIGR-CHECKSUM' "$T/log/tampered.log" | grep -q "$(basename "$victim")" ||
	die "the error does not name $(basename "$victim"): $(cat "$T/log/tampered.log")"
assert_eq "" "$(psql_q "SELECT to_regclass('voip.must_not_exist')")" "pending file not applied after refusal"
if run_migrate tampered-status --dsn "$PG_DSN" --dir "$T/mig" --status; then
	die "--status exited 0 with a changed file"
fi
grep -q "CHANGED.*$(basename "$victim")" "$T/log/tampered-status.log" || die "--status does not show CHANGED"
cp "$MIG/$(basename "$victim")" "$victim"
rm "$T/mig/9999_later.sql"

log "a failing migration is rolled back whole and reported with file and line"
printf -- '-- two statements, the second one wrong\nCREATE TABLE voip.half_done (a int);\nCREATE TABLE voip.broken (b no_such_type);\n' \
	>"$T/mig/9998_broken.sql"
if run_migrate broken --dsn "$PG_DSN" --dir "$T/mig"; then
	die "db-migrate succeeded with a broken migration"
fi
grep -q '9998_broken.sql:3:29: ERROR 42704: type \\"no_such_type\\" does not exist' "$T/log/broken.log" ||
	die "error report lacks file:line:col and message: $(grep MIGR-FAIL "$T/log/broken.log")"
assert_eq "" "$(psql_q "SELECT to_regclass('voip.half_done')")" "first statement of the broken file rolled back"
assert_eq 0 "$(psql_q 'SELECT count(*) FROM monitoring.schema_migrations WHERE version = 9998')" "broken file not recorded"
rm "$T/mig/9998_broken.sql"

log "misnamed and duplicate files are refused"
printf 'SELECT 1;\n' >"$T/mig/12_short.sql"
run_migrate badname --dsn "$PG_DSN" --dir "$T/mig" && die "accepted 12_short.sql"
grep -q '12_short.sql: bad migration file name' "$T/log/badname.log" || die "bad name not reported"
log "ok: 12_short.sql refused"
rm "$T/mig/12_short.sql"
cp "$victim" "$T/mig/0002_again.sql"
run_migrate dup --dsn "$PG_DSN" --dir "$T/mig" && die "accepted a duplicate version"
grep -q 'duplicate migration version 0002' "$T/log/dup.log" || die "duplicate not reported"
log "ok: duplicate version 0002 refused"
rm "$T/mig/0002_again.sql"

log "three db-migrate runs at once on a fresh database"
pg_psql "$T/pg" "$PGPORT" -U postgres -d postgres -c 'CREATE DATABASE race OWNER tandem' ||
	die "cannot create database race"
RACE_DSN=${PG_DSN/dbname=voip_platform/dbname=race}
pids=()
for i in 1 2 3; do
	run_migrate "race$i" --dsn "$RACE_DSN" --dir "$MIG" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || die "a concurrent db-migrate failed: $(cat "$T"/log/race*.log | grep level=error)"
done
assert_eq "$nfiles" "$(cat "$T"/log/race*.log | grep -c 'id=MIGR-APPLIED')" "files applied across the three runs"
assert_eq "$nfiles" "$(pg_psql "$T/pg" "$PGPORT" -d race -At -c 'SELECT count(*) FROM monitoring.schema_migrations')" \
	"migrations recorded in race"

# ---- CDR partitions -------------------------------------------------------------
partitions() {
	psql_q "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'voip.cdr'::regclass"
}
log "partitions: last month to three months ahead, plus DEFAULT"
want="cdr_default $(for i in -1 0 1 2 3; do month_name "$i"; done | sort | paste -sd' ')"
assert_eq "$want" "$(partitions)" "voip.cdr partitions after migrate"
assert_eq "DEFAULT" "$(psql_q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = 'voip.cdr_default'::regclass")" \
	"cdr_default is the DEFAULT partition"
assert_eq "FOR VALUES FROM ('$(date -u +%Y-%m-01) 00:00:00+00') TO ('$(date -u -d "$(date -u +%Y-%m-01) 1 month" +%Y-%m-%d) 00:00:00+00')" \
	"$(psql_q "SET TimeZone = 'UTC'; SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = 'voip.$(month_name 0)'::regclass")" \
	"this month's bounds are UTC month boundaries"
assert_eq 0 "$(psql_q 'SELECT voip.cdr_ensure_partitions()')" "cdr_ensure_partitions() again creates nothing"
assert_eq 2 "$(psql_q 'SELECT voip.cdr_ensure_partitions(1, 5)')" "cdr_ensure_partitions(1, 5) creates the next two months"
assert_eq "$(psql_q "SELECT count(*) FROM pg_indexes WHERE schemaname = 'voip' AND tablename = 'cdr'")" \
	"$(psql_q "SELECT count(*) FROM pg_indexes WHERE schemaname = 'voip' AND tablename = '$(month_name 5)'")" \
	"a new partition has every index of voip.cdr"
psql_fail "SELECT voip.cdr_ensure_partitions(-1, 3)" 'months back/ahead must be 0..120' "negative months"

cdr_insert() { # LEG_UUID START [EXTRA-VALUES-ROWS]: prints rows inserted
	psql_q "WITH ins AS (
		INSERT INTO voip.cdr (leg_uuid, call_uuid, leg, source, caller_id_number, destination_number, start_time)
		VALUES ('$1', '$1', 'a', 'freeswitch', '1001', '1002', '$2') ${3:-}
		ON CONFLICT (leg_uuid, start_time) DO NOTHING RETURNING 1)
		SELECT count(*) FROM ins"
}
log "a row for a month far ahead waits in DEFAULT and moves when its month is created"
far=$(date -u -d "$(date -u +%Y-%m-01) 14 month" +%Y-%m-15T10:00:00Z)
assert_eq 1 "$(cdr_insert far-ahead-leg "$far")" "row 14 months ahead inserted"
assert_eq 1 "$(cdr_insert very-far-leg 2099-06-01T00:00:00Z)" "row in 2099 inserted"
assert_eq "voip.cdr_default" "$(psql_q "SELECT tableoid::regclass FROM voip.cdr WHERE leg_uuid = 'far-ahead-leg'")" \
	"far-ahead row is in the DEFAULT partition"
id_before=$(psql_q "SELECT id || '/' || inserted_at FROM voip.cdr WHERE leg_uuid = 'far-ahead-leg'")
assert_eq 9 "$(psql_q 'SELECT voip.cdr_ensure_partitions(0, 14)')" "months 6..14 created"
assert_eq "voip.$(month_name 14)" "$(psql_q "SELECT tableoid::regclass FROM voip.cdr WHERE leg_uuid = 'far-ahead-leg'")" \
	"far-ahead row moved into its month"
assert_eq "$id_before" "$(psql_q "SELECT id || '/' || inserted_at FROM voip.cdr WHERE leg_uuid = 'far-ahead-leg'")" \
	"moved row keeps id and inserted_at"
assert_eq "very-far-leg" "$(psql_q "SELECT string_agg(leg_uuid, ',') FROM voip.cdr_default")" \
	"only the 2099 row stays in DEFAULT"
assert_eq 1 "$(psql_q "SELECT count(*) FROM voip.cdr WHERE leg_uuid = 'far-ahead-leg'")" "moved row exists once"
assert_eq t "$(psql_q "SELECT voip.cdr_create_partition(DATE '2099-06-01')")" "2099-06 created on demand"
assert_eq "0 voip.cdr_y2099m06" "$(psql_q "SELECT (SELECT count(*) FROM voip.cdr_default) || ' ' ||
	(SELECT tableoid::regclass FROM voip.cdr WHERE leg_uuid = 'very-far-leg')")" "DEFAULT emptied"

log "the idempotency key (leg_uuid, start_time)"
now=$(date -u +%Y-%m-%dT%H:%M:%S.123456Z)
assert_eq 1 "$(cdr_insert leg-1 "$now")" "first insert of a leg"
assert_eq 0 "$(cdr_insert leg-1 "$now")" "replayed leg inserts nothing (ON CONFLICT DO NOTHING)"
assert_eq 2 "$(cdr_insert leg-1 "$now" ", ('leg-2', 'leg-1', 'b', 'freeswitch', '1001', '1002', '$now'), ('leg-3', 'leg-3', 'a', 'sip-router', NULL, NULL, '$now')")" \
	"a batch with one replayed leg inserts the other two"
assert_eq 1 "$(psql_q "SELECT count(*) FROM voip.cdr WHERE leg_uuid = 'leg-1'")" "leg-1 stored once"
psql_fail "INSERT INTO voip.cdr (leg_uuid, call_uuid, leg, source, start_time) VALUES ('leg-1', 'x', 'a', 'freeswitch', '$now')" \
	'cdr_.*leg_uuid_start_time_key' "plain insert of a duplicate leg"
psql_fail "INSERT INTO voip.cdr (leg_uuid, call_uuid, leg, source, start_time) VALUES ('leg-9', 'x', 'c', 'freeswitch', '$now')" \
	'cdr_leg_ck' "leg outside a/b/unknown"
psql_fail "INSERT INTO voip.cdr (leg_uuid, call_uuid, leg, source, start_time) VALUES ('', 'x', 'a', 'freeswitch', '$now')" \
	'cdr_uuids_ck' "empty leg_uuid"

# ---- directory, extension model, routing -----------------------------------------
log "seeding a domain"
pg_psql "$T/pg" "$PGPORT" >/dev/null <<'SQL' || die "seeding failed"
INSERT INTO voip.domains (name) VALUES ('lab.test'), ('other.test');
INSERT INTO voip.users (domain_id, username, display_name)
     SELECT id, u, 'User ' || u FROM voip.domains, unnest(ARRAY['1001', '1002', '1003']) u WHERE name = 'lab.test';
INSERT INTO voip.users (domain_id, username) SELECT id, '2001' FROM voip.domains WHERE name = 'other.test';
SELECT voip.user_set_password(id, 's3cret') FROM voip.users WHERE username IN ('1001', '1002', '2001');
UPDATE voip.users SET enabled = false WHERE username = '1002';
INSERT INTO voip.queues (domain_id, name, strategy) SELECT id, 'support', 'ring-all' FROM voip.domains WHERE name = 'lab.test';
INSERT INTO voip.ivr_menus (domain_id, name) SELECT id, 'main' FROM voip.domains WHERE name = 'lab.test';
INSERT INTO voip.trunks (name, host, port, transport) VALUES ('carrier1', 'sip.carrier1.example', 5061, 'tls'),
       ('backup', '192.0.2.10', 5060, 'udp');
INSERT INTO voip.trunks (name, host, enabled) VALUES ('retired', 'old.example', false);
WITH d AS (SELECT id FROM voip.domains WHERE name = 'lab.test')
INSERT INTO voip.extensions (domain_id, number, type, user_id, queue_id, ivr_menu_id, trunk_id, strip_digits, prepend, priority, enabled)
SELECT d.id, x.number, x.type,
       (SELECT id FROM voip.users WHERE username = x.uname),
       (SELECT id FROM voip.queues WHERE name = x.qname),
       (SELECT id FROM voip.ivr_menus WHERE name = x.mname),
       (SELECT id FROM voip.trunks WHERE name = x.tname),
       x.strip, x.prepend, x.prio, x.enabled
  FROM d, (VALUES
       ('1001',  'user',       '1001', NULL,      NULL,   NULL,       0, '',    100, true),
       ('1002',  'user',       '1002', NULL,      NULL,   NULL,       0, '',    100, true),
       ('5000',  'queue',      NULL,   'support', NULL,   NULL,       0, '',    100, true),
       ('6000',  'ivr',        NULL,   NULL,      'main', NULL,       0, '',    100, true),
       ('81001', 'voicemail',  '1001', NULL,      NULL,   NULL,       0, '',    100, true),
       ('*97',   'voicemail',  NULL,   NULL,      NULL,   NULL,       0, '',    100, true),
       ('3000',  'conference', NULL,   NULL,      NULL,   NULL,       0, '',    100, true),
       ('7000',  'conference', NULL,   NULL,      NULL,   NULL,       0, '',    100, false),
       ('0',     'trunk_out',  NULL,   NULL,      NULL,   'carrier1', 1, '+49', 10,  true),
       ('0',     'trunk_out',  NULL,   NULL,      NULL,   'backup',   1, '0049', 20, true),
       ('00',    'trunk_out',  NULL,   NULL,      NULL,   'retired',  2, '+',   10,  true)
       ) AS x (number, type, uname, qname, mname, tname, strip, prepend, prio, enabled);
INSERT INTO voip.ivr_entries (domain_id, menu_id, digits, action, target_extension_id)
SELECT m.domain_id, m.id, '1', 'transfer', e.id FROM voip.ivr_menus m
  JOIN voip.extensions e ON e.number = '5000' AND e.domain_id = m.domain_id;
SQL
log "ok: seeded"
# Trunk credentials hash through the same voip.digest_ha1 as users:
# printf 'tandem:sip.carrier1.example:s3cret' | md5sum
psql_q "UPDATE voip.trunks SET auth_username = 'tandem', auth_realm = 'sip.carrier1.example' WHERE name = 'carrier1'" >/dev/null
psql_q "SELECT voip.trunk_set_password(id, 's3cret') FROM voip.trunks WHERE name = 'carrier1'" >/dev/null
assert_eq "$(printf 'tandem:sip.carrier1.example:s3cret' | md5sum | cut -d' ' -f1)|$(printf 'tandem:sip.carrier1.example:s3cret' | sha256sum | cut -d' ' -f1)" \
	"$(psql_q "SELECT auth_ha1_md5 || '|' || auth_ha1_sha256 FROM voip.trunks WHERE name = 'carrier1'")" "trunk HA1s"
psql_fail "SELECT voip.trunk_set_password(id, 's3cret') FROM voip.trunks WHERE name = 'backup'" \
	"no auth_username" "a trunk without auth credentials"

log "digest HA1s from voip.user_set_password"
assert_eq "f9c319be8ef5f22bf989e5936b21ed23" "$(printf '1001:lab.test:s3cret' | md5sum | cut -d' ' -f1)" "reference MD5 HA1"
assert_eq "f9c319be8ef5f22bf989e5936b21ed23" "$(psql_q "SELECT ha1_md5 FROM voip.users WHERE username = '1001'")" \
	"user_set_password MD5 HA1"
assert_eq "$(printf '1001:lab.test:s3cret' | sha256sum | cut -d' ' -f1)" \
	"$(psql_q "SELECT ha1_sha256 FROM voip.users WHERE username = '1001'")" "user_set_password SHA-256 HA1"
assert_eq "$(printf '2001:other.test:s3cret' | md5sum | cut -d' ' -f1)" \
	"$(psql_q "SELECT ha1_md5 FROM voip.users WHERE username = '2001'")" "HA1 uses the user's own domain as realm"
psql_fail "SELECT voip.user_set_password(999999, 'x')" 'no user with id 999999' "password for a missing user"
psql_fail "SELECT voip.user_set_password(1, '')" 'empty password' "empty password"
assert_eq "" "$(psql_q "SELECT string_agg(column_name, ',') FROM information_schema.columns
	WHERE table_schema = 'voip' AND table_name = 'users' AND column_name ~ 'pass' AND column_name <> 'password_changed_at'")" \
	"no password column in voip.users"

log "directory view"
assert_eq "lab.test|1001|1001|f9c319be8ef5f22bf989e5936b21ed23|default|User 1001|1001" \
	"$(psql_q "SELECT domain, username, number_alias, a1_hash, user_context, caller_id_name, caller_id_number
		FROM voip.directory WHERE domain = 'lab.test' AND (username = '1001' OR number_alias = '1001')")" \
	"directory entry for 1001@lab.test"
assert_eq "f9c319be8ef5f22bf989e5936b21ed23|3|default|1001" \
	"$(psql_q "SELECT params->>'a1-hash', params->>'max-registrations-per-extension', variables->>'user_context',
		variables->>'effective_caller_id_number' FROM voip.directory WHERE username = '1001'")" \
	"directory params and variables"
assert_eq "1001" "$(psql_q "SELECT string_agg(username, ',' ORDER BY username) FROM voip.directory WHERE domain = 'lab.test'")" \
	"disabled (1002) and password-less (1003) users are not in the directory"

log "extension model constraints"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type, user_id, queue_id)
	SELECT 1, '5001', 'queue', (SELECT id FROM voip.users WHERE username = '1001'), (SELECT id FROM voip.queues)" \
	'extensions_user_ref_ck' "queue extension that also names a user"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type) VALUES (1, '1005', 'user')" \
	'extensions_user_ref_ck' "user extension without a user"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type) VALUES (1, '9', 'trunk_out')" \
	'extensions_trunk_ref_ck' "trunk_out without a trunk"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type, ivr_menu_id) VALUES (1, '6001', 'queue', (SELECT id FROM voip.ivr_menus))" \
	'extensions_(queue|ivr)_ref_ck' "queue extension pointing at an IVR menu"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type, user_id)
	SELECT 1, '2001', 'user', id FROM voip.users WHERE username = '2001'" \
	'extensions_user_fk' "extension pointing at a user of another domain"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type) VALUES (1, '3000', 'conference')" \
	'extensions_domain_number_key' "a second extension 3000 in lab.test"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type, strip_digits) VALUES (1, '3001', 'conference', 2)" \
	'extensions_rewrite_ck' "strip_digits on a conference"
psql_fail "INSERT INTO voip.extensions (domain_id, number, type) VALUES (1, '12a', 'conference')" \
	'extensions_number_ck' "a number with a letter"
psql_fail "INSERT INTO voip.ivr_entries (domain_id, menu_id, digits, action, target_menu_id)
	SELECT domain_id, id, '9', 'submenu', id FROM voip.ivr_menus" 'ivr_entries_not_self_ck' "IVR submenu to itself"
psql_fail "INSERT INTO voip.ivr_entries (domain_id, menu_id, digits, action)
	SELECT domain_id, id, '2', 'transfer' FROM voip.ivr_menus" 'ivr_entries_transfer_ck' "IVR transfer without target"
psql_fail "INSERT INTO voip.api_keys (key_id, secret_hash, name, permissions)
	VALUES ('abcdefgh', '\\x$(printf '%064d' 0)', 'k', '{\"CDR READ\"}')" 'api_keys_permissions_ck' "malformed API permission"
assert_eq 1 "$(psql_q "WITH k AS (INSERT INTO voip.api_keys (key_id, secret_hash, name, permissions)
	VALUES ('abcdefgh', '\\x$(printf '%064d' 0)', 'reporting', '{cdr:read,directory:read}') RETURNING 1) SELECT count(*) FROM k")" \
	"well-formed API key stored"

log "routing view"
route() { psql_q "SELECT $2 FROM voip.routing WHERE domain = 'lab.test' AND extension = '$1' ORDER BY priority NULLS FIRST"; }
assert_eq "user|f|1001|3" "$(route 1001 "type, need_media, sip_username, max_contacts")" "route 1001 (user)"
assert_eq "queue|t|support" "$(route 5000 "type, need_media, queue_name")" "route 5000 (queue)"
assert_eq "ivr|t|main" "$(route 6000 "type, need_media, ivr_menu_name")" "route 6000 (ivr)"
assert_eq "voicemail|t|1001" "$(route 81001 "type, need_media, sip_username")" "route 81001 (voicemail box of 1001)"
assert_eq "voicemail|t|" "$(route '*97' "type, need_media, sip_username")" "route *97 (caller's own voicemail)"
assert_eq "conference|t|" "$(route 3000 "type, need_media, prefix")" "route 3000 (conference)"
assert_eq "trunk_out|f|0|1|+49|10|carrier1|sip.carrier1.example|5061|tls
trunk_out|f|0|1|0049|20|backup|192.0.2.10|5060|udp" \
	"$(route 0 "type, need_media, prefix, strip_digits, prepend, priority, trunk_name, trunk_host, trunk_port, trunk_transport")" \
	"route prefix 0 (two trunks by priority)"
assert_eq "" "$(route 1002 type)" "disabled user 1002 is not routed"
assert_eq "" "$(route 7000 type)" "disabled extension 7000 is not routed"
assert_eq "" "$(route 00 type)" "route over a disabled trunk is not routed"
assert_eq 8 "$(psql_q "SELECT count(*) FROM voip.routing WHERE domain = 'lab.test'")" "routable rows in lab.test"
pg_psql "$T/pg" "$PGPORT" -c "UPDATE voip.domains SET enabled = false WHERE name = 'lab.test'" >/dev/null
assert_eq 0 "$(psql_q "SELECT count(*) FROM voip.routing WHERE domain = 'lab.test'")" "a disabled domain routes nothing"
pg_psql "$T/pg" "$PGPORT" -c "UPDATE voip.domains SET enabled = true WHERE name = 'lab.test'" >/dev/null

log "recording policy precedence"
pg_psql "$T/pg" "$PGPORT" >/dev/null <<'SQL' || die "policies"
INSERT INTO voip.recording_policies (domain_id, record, retention_days) SELECT id, false, NULL FROM voip.domains WHERE name = 'lab.test';
INSERT INTO voip.recording_policies (domain_id, queue_id, record, retention_days) SELECT domain_id, id, true, 90 FROM voip.queues;
INSERT INTO voip.recording_policies (domain_id, extension_id, record, stereo, retention_days)
     SELECT domain_id, id, true, false, 30 FROM voip.extensions WHERE number = '1001';
SQL
assert_eq "t|t|90|queue" "$(psql_q "SELECT * FROM voip.recording_policy_for('lab.test', '5000', 'support')")" "queue policy"
assert_eq "t|f|30|extension" "$(psql_q "SELECT * FROM voip.recording_policy_for('lab.test', '1001', 'support')")" "extension beats queue"
assert_eq "f||domain" "$(psql_q "SELECT record, retention_days, scope FROM voip.recording_policy_for('lab.test', '3000', NULL)")" "domain default"
assert_eq "" "$(psql_q "SELECT * FROM voip.recording_policy_for('other.test', '2001', NULL)")" "no policy: no row"

log "updated_at follows updates"
assert_eq t "$(psql_q "SELECT updated_at > created_at FROM voip.domains WHERE name = 'lab.test'")" "domains.updated_at touched"

log "10_schema passed"
