#!/usr/bin/env bash
# The SIPp battery (tests/lib/sip_battery.sh) against the Kamailio reference
# (bench/sip/kamailio.cfg): the same registrar and proxy for lab.test that
# the sip-router must be; 70_sip_router.sh runs the same battery against the
# router.  It shows that the scenarios, the helpers and the storm tool do
# what they claim on an independent implementation.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/sip.sh"
. "$ROOT/tests/lib/sip_battery.sh"

for b in kamailio sipp; do
	command -v "$b" >/dev/null || { echo "skip: $b is not installed (scripts/install-deps)"; exit 77; }
done

sip_init
IP=127.0.0.1
KPORT=$(free_port)
users_csv "$T/users.csv" 1001 1010 'pw-%u'
kamailio_start "$IP" "$KPORT" "$T/users.csv"

sip_battery "$IP" "$KPORT" kamailio_alive
kamailio_alive || die "Kamailio is gone"
log "PASS"
