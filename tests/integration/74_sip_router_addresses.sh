#!/usr/bin/env bash
# sip-router listening on several addresses (a node address and a virtual
# IP, as on the two-node platform): a UDP response leaves from the address
# its request was sent to, and a request the router forwards leaves from the
# advertised address, the one in its Via and Record-Route.  A peer behind a
# NAT or a firewall drops datagrams from any other address; the test's
# sockets are connected, so they would not see them either.  And a next hop
# named under .invalid is refused without a DNS lookup (stats: dns).
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/router.sh"

router_test_init
IP=127.0.0.1 # the node's own address
VIP=127.0.0.3 # the virtual IP: advertised, and listed second
PORT=$(free_port)
TPORT=$(free_port)
seed_trunk carrier 127.0.0.1 "$TPORT" 9
ROUTER_LISTEN="udp:$IP:$PORT,udp:$VIP:$PORT,tcp:$IP:$PORT" router_start "$IP" "$PORT" "[sip]
advertise = $VIP:$PORT
default_domain = $SIP_DOMAIN
trusted = 127.0.0.2/32"

# options RURI: a hand-made OPTIONS for sip_udp
options() {
	printf 'OPTIONS %s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.2:9;branch=z9hG4bK@N@\nMax-Forwards: 70\n' "$1"
	printf 'From: <sip:x@%s>;tag=1\nTo: <%s>\nCall-ID: @N@\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n' \
		"$SIP_DOMAIN" "$1"
}

log "== responses leave from the address the request was sent to"
for to in "$IP" "$VIP"; do
	resp=$(SIP_UDP_TO=$to sip_udp 127.0.0.2 "$PORT" 3 "$(options "sip:$to:$PORT")" | sort | uniq -c | xargs)
	assert_eq "3 SIP/2.0 200 OK" "$resp" "OPTIONS to $to:$PORT, answered from $to:$PORT"
done

log "== forwarded requests leave from the advertised address"
# a stand-in trunk that notes where the request it gets came from
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$ARGV[0]", Proto => "udp") or die "$!";
	$| = 1;
	while (1) { my $buf; my $peer = $s->recv($buf, 65535) // last;
		my ($port, $addr) = sockaddr_in($peer);
		my ($line) = split /\r\n/, $buf;
		print inet_ntoa($addr) . ":$port $line\n"; }' "$TPORT" >"$T/trunk.out" 2>&1 &
TRUNK=$!
wait_until 10 udp_listening "$TPORT" || die "the stand-in trunk did not bind"
for to in "$IP" "$VIP"; do
	SIP_UDP_TO=$to sip_udp 127.0.0.2 "$PORT" 1 "$(options "sip:95551@$SIP_DOMAIN")" >/dev/null
done
wait_until 10 sh -c "[ \$(grep -c OPTIONS '$T/trunk.out') -ge 2 ]" ||
	die "the trunk did not get both requests: $(cat "$T/trunk.out")"
kill "$TRUNK" 2>/dev/null
log "trunk saw: $(tr '\n' ';' <"$T/trunk.out")"
# (the stand-in never answers: the router retransmits, from the same address)
assert_eq 0 "$(grep -vc "^$VIP:$PORT OPTIONS sip:5551@" "$T/trunk.out")" \
	"requests forwarded to the trunk from elsewhere than the advertised $VIP:$PORT"

log "== a next hop named under .invalid is refused without a lookup"
resp=$(sip_udp 127.0.0.2 "$PORT" 1 "$(options "sip:95551@$SIP_DOMAIN" |
	sed 's/^Max-Forwards: 70$/Max-Forwards: 70\nRoute: <sip:sbc.carrier.invalid;lr>/')")
assert_eq "404" "$(cut -d' ' -f2 <<<"$resp")" "a Route to sbc.carrier.invalid ($resp)"
dns=$(ctl sip-router -j stats | jq -c .dns)
log "dns: $dns"
assert_eq 0 "$(jq .misses <<<"$dns")" "names looked up"
[ "$(jq .failures <<<"$dns")" -ge 1 ] || die "the .invalid name was not counted"

daemon_alive sip-router || die "sip-router died"
log "PASS"
