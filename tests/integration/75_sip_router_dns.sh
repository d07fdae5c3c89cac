#!/usr/bin/env bash
# sip-router's name cache against a DNS server that never answers: in a
# network namespace of its own, whose resolv.conf (ip netns exec mounts
# /etc/netns/NAME/resolv.conf) points at a black hole on its loopback, a
# worker gives up after sip.dns_timeout instead of the resolver's 2 x 3 s,
# and one lookup serves every request for the name meanwhile
# (dns_test's test_blackhole_bounded, run alone there).
. "$(dirname "$0")/../lib/harness.sh"

[ "$(id -u)" = 0 ] || { echo "skip: needs root for ip netns"; exit 77; }
command -v ip >/dev/null || { echo "skip: ip (iproute2) is missing"; exit 77; }
DNS_TEST=$ROOT/build/asan/test/sip-router/dns_test
[ -x "$DNS_TEST" ] || die "$DNS_TEST is missing: build first (make VARIANT=asan unit-bins)"

NS=tandem-dns-$$
cleanup_ns() {
	[ -n "${HOLE:-}" ] && kill "$HOLE" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS"
}
trap 'rc=$?; cleanup_ns; (exit $rc); harness_cleanup' EXIT
ip netns add "$NS" || die "cannot create network namespace $NS"
ip netns exec "$NS" ip link set lo up
mkdir -p "/etc/netns/$NS"
printf 'nameserver 127.0.0.1\noptions timeout:3 attempts:2\n' >"/etc/netns/$NS/resolv.conf"

# the black hole: takes DNS queries on 127.0.0.1:53 (UDP) and never answers
ip netns exec "$NS" perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:53", Proto => "udp") or die "$!";
	print STDERR "listening\n";
	my $n = 0; while ($s->recv(my $buf, 4096)) { $n++; print STDERR "query $n\n"; }' \
	2>"$T/hole.log" &
HOLE=$!
wait_until 10 grep -q listening "$T/hole.log" || die "the black hole did not start: $(cat "$T/hole.log")"

log "== lookups against a server that never answers"
ip netns exec "$NS" env TANDEM_DNS_BLACKHOLE=1 "$DNS_TEST" >"$T/dns_test.out" 2>&1 ||
	die "dns_test failed: $(cat "$T/dns_test.out")"
grep "gave up after" "$T/dns_test.out" | while read -r line; do log "$line"; done
queries=$(grep -c '^query' "$T/hole.log")
log "queries the black hole got: $queries"
[ "$queries" -ge 1 ] || die "no query reached the black hole: the test did not test it"
log "PASS"
