# shellcheck shell=bash
# The SIPp battery every registrar/proxy of lab.test must pass: the
# Kamailio reference (50_sip_kamailio_reference.sh) and the sip-router
# (70_sip_router.sh) run the very same one.  Source after tests/lib/sip.sh.
#
#   sip_battery IP PORT ALIVE... users 1001..1010 with password pw-<user>, listed in
#                                $T/users.csv; ALIVE...: a command (and its arguments)
#                                that says the server still runs; 127.0.0.2 must be a
#                                trusted source
#
# Register two users with digest auth (UDP), two over TCP; wrong password
# refused; re-register; calls between the two users through the proxy (407,
# Record-Route, ACK/BYE by the route set), over UDP and TCP, and from a
# trusted non-local caller; CANCEL; busy (486); 480 from a UA and for a user
# with no binding; 404; unregister (one binding, Contact: *); a
# malformed-message storm, after which it still registers and routes.
# Every SIPp run is checked for its exact count of successful calls, and
# each UAS for the calls it saw.  Negative controls show that the scenarios
# do fail when the answer is not the expected one.

# uas_done PORT EXPECTED_OK WHAT: stop the UAS on PORT; it saw exactly that.
uas_done() {
	sipp_uas_stop "$1"
	assert_eq "$2" "$(sipp_uas_stat 'SuccessfulCall(C)' "$1")" "$3: successful calls at the UAS"
	assert_eq 0 "$(sipp_uas_stat 'FailedCall(C)' "$1")" "$3: failed calls at the UAS"
}

sip_battery() {
	local IP=$1 port=$2 target=$1:$2
	shift 2
	local -a alive=("$@")
	local U1001 U1002 U1003 U1004 U1005 U1006 P1002 P1006 PCANCEL PBUSY PUNAV PAFTER
	[ -x "$BIN/sip-storm" ] || die "$BIN/sip-storm is missing: build first (make VARIANT=asan)"
	U1002=$(user_csv 1002)
	U1006=$(user_csv 1006)
	U1001=$(user_csv 1001)
	U1003=$(user_csv 1003)
	U1004=$(user_csv 1004)
	U1005=$(user_csv 1005)

	log "== registration"
	# Users 1002 and 1006 register from a port each; the phones that answer
	# there are SIPp UASs started on the same ports once the REGISTER runs ended.
	P1002=$(free_port)
	P1006=$(free_port)
	assert_sipp 1 reg_auth "$target" -inf "$U1002" -p "$P1002"
	assert_sipp 1 reg_auth "$target" -inf "$U1006" -p "$P1006"
	assert_sipp 1 reg_wrong_password "$target" -inf "$U1002"
	# negative control: reg_auth with wrong passwords must fail
	users_csv "$T/wrong.csv" 1002 1002 'not-pw-%u'
	assert_sipp_fails reg_auth "$target" -inf "$T/wrong.csv"
	# unknown user: refused like a wrong password
	users_csv "$T/nobody.csv" 7001 7001 'pw-%u'
	assert_sipp 1 reg_wrong_password "$target" -inf "$T/nobody.csv"
	# re-register, same port: the binding is refreshed, not doubled
	assert_sipp 1 reg_refresh "$target" -inf "$U1002" -p "$P1002" -d 200
	# over TCP: users 1007 and 1008 twice each (the second time a refresh), one connection
	users_csv "$T/tcp.csv" 1007 1008 'pw-%u'
	assert_sipp 4 reg_auth "$target" -inf "$T/tcp.csv" -t t1 -r 10

	log "== calls between two registered users"
	sipp_uas_start uas "$IP" "$P1002"
	sipp_uas_start uas "$IP" "$P1006"
	assert_sipp 5 uac_call_auth "$target" -inf "$U1006" -s 1002 -r 20 -d 100
	assert_sipp 3 uac_call_auth "$target" -inf "$U1002" -s 1006 -r 20
	assert_sipp 2 uac_call_auth "$target" -inf "$U1006" -s 1002 -t t1
	# a trusted, non-local caller (trunk.test, from 127.0.0.2) needs no credentials
	assert_sipp 2 uac_call "$target" -inf "$U1006" -s 1002 -i 127.0.0.2
	# the UASs answer OPTIONS (as FreeSWITCH answers the router's probes)
	sip_options "$IP" "$P1002" || die "the UAS did not answer OPTIONS"

	log "== a UAS registered as a user; CANCEL; busy; 480; 404"
	PCANCEL=$(free_port)
	PBUSY=$(free_port)
	PUNAV=$(free_port)
	sipp_uas_start uas_ring_cancel "$IP" "$PCANCEL"
	sipp_uas_start uas_busy "$IP" "$PBUSY"
	sipp_uas_start uas_unavailable "$IP" "$PUNAV"
	assert_sipp 1 reg_uas "$target" -inf "$U1004" -key uas_ip "$IP" -key uas_port "$PCANCEL"
	assert_sipp 1 reg_uas "$target" -inf "$U1003" -key uas_ip "$IP" -key uas_port "$PBUSY"
	assert_sipp 1 reg_uas "$target" -inf "$U1005" -key uas_ip "$IP" -key uas_port "$PUNAV"
	assert_sipp 3 uac_cancel "$target" -inf "$U1002" -s 1004 -r 10
	assert_sipp 2 uac_expect_486 "$target" -inf "$U1002" -s 1003
	assert_sipp 1 uac_expect_480 "$target" -inf "$U1002" -s 1005
	assert_sipp 1 uac_expect_480 "$target" -inf "$U1002" -s 1009 # a user with no binding
	assert_sipp 1 uac_expect_404 "$target" -inf "$U1002" -s 7777 # not a user
	# negative controls: a call to a busy callee is not a successful call,
	# and a busy answer is not a 404
	assert_sipp_fails uac_call_auth "$target" -inf "$U1002" -s 1003
	assert_sipp_fails uac_expect_404 "$target" -inf "$U1002" -s 1003

	log "== the UASs saw exactly those calls"
	uas_done "$P1002" 10 "user 1002 (5 + 2 TCP + 2 trusted calls, 1 OPTIONS)"
	uas_done "$P1006" 3 "user 1006"
	uas_done "$PCANCEL" 3 "ringing UAS (cancelled calls)"
	uas_done "$PBUSY" 4 "busy UAS (2 calls + the 2 negative controls)"
	uas_done "$PUNAV" 1 "unavailable UAS"

	log "== unregister"
	assert_sipp 1 unreg "$target" -inf "$U1002" -p "$P1002"
	assert_sipp 1 uac_expect_480 "$target" -inf "$U1006" -s 1002
	assert_sipp 1 unreg_uas "$target" -inf "$U1004" -key uas_ip "$IP" -key uas_port "$PCANCEL"
	assert_sipp 1 uac_expect_480 "$target" -inf "$U1002" -s 1004
	# two more bindings for 1006, then Contact: * removes all three
	assert_sipp 1 reg_auth "$target" -inf "$U1006"
	assert_sipp 1 reg_uas "$target" -inf "$U1006" -key uas_ip "$IP" -key uas_port "$PBUSY"
	assert_sipp 1 unreg_all "$target" -inf "$U1006"
	assert_sipp 1 uac_expect_480 "$target" -inf "$U1002" -s 1006
	# negative control: unreg_all fails when a binding survives (here: a normal
	# REGISTER, whose 200 lists the binding, in the place of Contact: *)
	sed -e 's|Contact: \*|Contact: <sip:[field0]@[local_ip]:[local_port]>|' -e 's|Expires: 0|Expires: 60|' \
		"$SIP_SCENARIOS/unreg_all.xml" >"$T/unreg_all_negative.xml"
	assert_sipp_fails "$T/unreg_all_negative.xml" "$target" -inf "$U1006"

	log "== malformed-message storm"
	"$BIN/sip-storm" --target "$target" --transport both --count 2000 --rate 1000 --sources 4 \
		--corpus "$ROOT/tests/data/sip-torture" --wait 500 >"$T/log/sip-storm.log" 2>&1 ||
		die "sip-storm failed: $(tail -n 3 "$T/log/sip-storm.log")"
	log "storm: $(head -n 1 "$T/log/sip-storm.log")"
	assert_eq 2000 "$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$T/log/sip-storm.log")" "storm messages sent"
	"${alive[@]}" || die "the server died in the storm"
	sip_options "$IP" "$port" || die "no answer to OPTIONS after the storm"
	PAFTER=$(free_port)
	sipp_uas_start uas "$IP" "$PAFTER"
	assert_sipp 1 reg_uas "$target" -inf "$U1001" -key uas_ip "$IP" -key uas_port "$PAFTER"
	assert_sipp 2 uac_call_auth "$target" -inf "$U1002" -s 1001
	uas_done "$PAFTER" 2 "UAS registered after the storm"
}
