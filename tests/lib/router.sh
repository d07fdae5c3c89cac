# shellcheck shell=bash
# sip-router helpers for integration tests and benchmarks: the lab.test data
# in PostgreSQL and a router configured for it.  Source after
# tests/lib/harness.sh and tests/lib/sip.sh.
#
#   router_test_init               skip without SIPp; sip_init, PostgreSQL, Redis, schema,
#                                  lab.test users 1001..1010 (password pw-<user>) in the
#                                  database and in $T/users.csv
#   seed_lab FIRST LAST            domain lab.test, users FIRST..LAST with password pw-<user>
#                                  and a user extension each
#   seed_queue NUMBER NAME         a queue extension (routed to the FreeSWITCH pool)
#   seed_trunk NAME IP PORT PREFIX a trunk and a trunk_out extension for PREFIX (stripped)
#   router_start IP PORT [CONF]    sip-router on IP:PORT (UDP and TCP) with the harness's
#                                  PostgreSQL and Redis, extra config lines in CONF
#                                  ("[fs]\nnodes = ..."); waits until it answers OPTIONS
#                                  and has loaded the routing data

router_test_init() {
	command -v sipp >/dev/null || { echo "skip: sipp is not installed (scripts/install-deps)"; exit 77; }
	sip_init
	start_pg
	start_redis
	migrate
	seed_lab 1001 1010
	users_csv "$T/users.csv" 1001 1010 'pw-%u'
}

# seed_lab FIRST LAST
seed_lab() {
	local first=$1 last=$2
	psql_q "INSERT INTO voip.domains (name) VALUES ('$SIP_DOMAIN') ON CONFLICT DO NOTHING;
		INSERT INTO voip.users (domain_id, username)
			SELECT d.id, u::text FROM voip.domains d, generate_series($first, $last) u
			WHERE d.name = '$SIP_DOMAIN' ON CONFLICT DO NOTHING;
		SELECT count(voip.user_set_password(u.id, 'pw-' || u.username))
			FROM voip.users u JOIN voip.domains d ON d.id = u.domain_id
			WHERE d.name = '$SIP_DOMAIN' AND u.username::bigint BETWEEN $first AND $last;
		INSERT INTO voip.extensions (domain_id, number, type, user_id)
			SELECT u.domain_id, u.username, 'user', u.id
			FROM voip.users u JOIN voip.domains d ON d.id = u.domain_id
			WHERE d.name = '$SIP_DOMAIN' AND u.username::bigint BETWEEN $first AND $last;" \
		>/dev/null || die "seed_lab failed"
}

# seed_queue NUMBER NAME
seed_queue() {
	psql_q "INSERT INTO voip.queues (domain_id, name)
			SELECT id, '$2' FROM voip.domains WHERE name = '$SIP_DOMAIN';
		INSERT INTO voip.extensions (domain_id, number, type, queue_id)
			SELECT q.domain_id, '$1', 'queue', q.id FROM voip.queues q WHERE q.name = '$2';" \
		>/dev/null || die "seed_queue failed"
}

# seed_trunk NAME IP PORT PREFIX
seed_trunk() {
	psql_q "INSERT INTO voip.trunks (name, host, port) VALUES ('$1', '$2', $3);
		INSERT INTO voip.extensions (domain_id, number, type, trunk_id, strip_digits)
			SELECT d.id, '$4', 'trunk_out', t.id, length('$4')
			FROM voip.domains d, voip.trunks t WHERE d.name = '$SIP_DOMAIN' AND t.name = '$1';" \
		>/dev/null || die "seed_trunk failed"
}

# router_routing_version: the version of the routing snapshot in force.
router_routing_version() {
	ctl sip-router -j status 2>/dev/null | jq -r '.routing_version // 0'
}

# router_start IP PORT [CONF]
router_start() {
	local ip=$1 port=$2 extra=${3:-}
	daemon_conf sip-router <<CONF
[sip]
listen = ${ROUTER_LISTEN:-udp:$ip:$port,tcp:$ip:$port}
workers = ${ROUTER_WORKERS:-2}
[auth]
secret = $(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
algorithms = MD5
[redis]
url = $REDIS_URL
[pg]
dsn = $PG_DSN
$(printf '%b' "$extra")
CONF
	start_daemon sip-router
	wait_until 20 sip_options "$ip" "$port" || die "sip-router does not answer OPTIONS on $ip:$port"
	wait_until 20 router_routing_ready || die "sip-router did not load the routing data"
	log "sip-router on $ip:$port udp+tcp (pid ${DAEMON_PID[sip-router]})"
}

router_routing_ready() { [ "$(router_routing_version)" -gt 0 ]; }

# sip_udp FROM_IP TO_PORT COUNT MESSAGE: sends MESSAGE (LF line ends become
# CRLF; each @N@ becomes a token unique to the message, for branches and
# Call-IDs) COUNT times from FROM_IP to ${SIP_UDP_TO:-127.0.0.1}:TO_PORT as
# fast as it can, then prints the status line of every response that comes
# back within a second.  For hand-made and malformed requests that SIPp
# cannot send.  The socket is connected: a response from any other address
# than the one the requests went to is not seen.
sip_udp() {
	perl -MIO::Socket::INET -e '
		my ($from, $port, $n, $msg, $to) = @ARGV;
		$msg =~ s/\r?\n/\r\n/g;
		my $s = IO::Socket::INET->new(LocalAddr => $from, PeerAddr => "$to:$port",
			Proto => "udp") or die "socket: $!";
		my $run = sprintf("%x%x", $$, int(rand(1 << 30)));
		for my $i (1 .. $n) { (my $m = $msg) =~ s/\@N\@/$run.$i/g; $s->send($m); }
		my $rin = ""; vec($rin, fileno($s), 1) = 1;
		while (select(my $r = $rin, undef, undef, 1.0) > 0) {
			my $buf; $s->recv($buf, 65535) or last;
			my ($line) = split /\r\n/, $buf; print "$line\n";
		}' "$@" "${SIP_UDP_TO:-127.0.0.1}"
}
