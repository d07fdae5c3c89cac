# SPDX-License-Identifier: MIT
# cdr-insert-gen.awk: writes nbatch statements, each a batch-row multi-VALUES
# INSERT INTO voip.cdr ... ON CONFLICT (leg_uuid, start_time) DO NOTHING,
# with realistic values: v4 uuids, A/B leg pairs sharing call_uuid, 60 % queue
# calls, 85 % answered, E.164 callers, recording paths.  Start times advance
# from base (epoch seconds, UTC) by ~10 ms per leg pair.
#   awk -v nbatch=2000 -v batch=100 -v seed=1 -v base=EPOCH -f cdr-insert-gen.awk
function hex(n,   s, i) { s = ""; for (i = 0; i < n; i++) s = s substr("0123456789abcdef", int(rand() * 16) + 1, 1); return s }
function uuid() { return hex(8) "-" hex(4) "-4" hex(3) "-a" hex(3) "-" hex(12) }
function ts(t, us) { return strftime("%Y-%m-%d %H:%M:%S", t, 1) sprintf(".%06d+00", us) }
BEGIN {
	srand(seed)
	cols = "leg_uuid, call_uuid, leg, source, node, direction, caller_id_number, caller_id_name, destination_number, context, domain, accountcode, start_time, answer_time, end_time, duration_s, billsec, billmsec, hangup_cause, hangup_cause_q850, sip_term_status, sip_hangup_disposition, sip_call_id, queue, agent, queue_joined_time, queue_answered_time, queue_cancel_reason, recording_path, mos, received_at, remote_addr"
	t = base
	for (b = 0; b < nbatch; b++) {
		printf "INSERT INTO voip.cdr (%s) VALUES\n", cols
		for (r = 0; r < batch; r++) {
			# legs come in pairs: A-leg then B-leg of the same call
			if (r % 2 == 0) {
				call = uuid(); leg = "a"; legu = call
				t += rand() * 0.02; st = int(t); us = int((t - st) * 1000000)
				caller = sprintf("+4930%07d", int(rand() * 10000000))
				dest = sprintf("%d", 1000 + int(rand() * 400))
				inq = rand() < 0.6
				ans = rand() < 0.85
				wait = int(rand() * 40); talk = int(rand() * 400)
				callid = hex(24) "@10.0.0." int(rand() * 250)
			} else {
				leg = "b"; legu = uuid()
			}
			ansT = ans ? "'" ts(st + wait, us) "'" : "NULL"
			endT = ts(st + wait + (ans ? talk : 0), us)
			dur = wait + (ans ? talk : 0); bill = ans ? talk : 0
			q = inq ? "'support'" : "NULL"
			ag = (inq && ans) ? "'" (1000 + int(rand() * 200)) "@lab.test'" : "NULL"
			qj = inq ? "'" ts(st + 2, us) "'" : "NULL"
			qa = (inq && ans) ? "'" ts(st + wait, us) "'" : "NULL"
			qc = (inq && !ans) ? "'TIMEOUT'" : "NULL"
			rec = (inq && ans) ? "'/var/lib/tandem/recordings/" strftime("%Y/%m/%d", st, 1) "/" call ".wav'" : "NULL"
			printf "%s('%s','%s','%s','freeswitch','node1','%s','%s','Caller %s','%s','default','lab.test','acct%d','%s',%s,'%s',%d,%d,%d,'%s',%d,%d,'%s','%s',%s,%s,%s,%s,%s,%s,%.2f,'%s','10.0.0.5')",
				(r ? ",\n" : ""), legu, call, leg, (leg == "a" ? "inbound" : "outbound"), caller, substr(caller, 8), dest,
				int(rand() * 20), ts(st, us), ansT, endT, dur, bill, bill * 1000 + int(rand() * 1000),
				(ans ? "NORMAL_CLEARING" : "ORIGINATOR_CANCEL"), (ans ? 16 : 487), (ans ? 200 : 487),
				(ans ? "send_bye" : "recv_cancel"), callid, q, ag, qj, qa, qc, rec, 3.5 + rand(), ts(st + dur + 1, us)
		}
		printf "\nON CONFLICT (leg_uuid, start_time) DO NOTHING;\n"
	}
}
