/* SPDX-License-Identifier: MIT */
/* Names: header types (long and compact forms), methods, reason phrases. */
#include <string.h>

#include "sip/lex.h"
#include "sip/sip.h"

static const char *const hdr_names[TD_SIP_H__COUNT] = {
	[TD_SIP_H_OTHER] = "",
	[TD_SIP_H_VIA] = "Via",
	[TD_SIP_H_FROM] = "From",
	[TD_SIP_H_TO] = "To",
	[TD_SIP_H_CALL_ID] = "Call-ID",
	[TD_SIP_H_CSEQ] = "CSeq",
	[TD_SIP_H_CONTACT] = "Contact",
	[TD_SIP_H_MAX_FORWARDS] = "Max-Forwards",
	[TD_SIP_H_CONTENT_LENGTH] = "Content-Length",
	[TD_SIP_H_CONTENT_TYPE] = "Content-Type",
	[TD_SIP_H_CONTENT_ENCODING] = "Content-Encoding",
	[TD_SIP_H_ROUTE] = "Route",
	[TD_SIP_H_RECORD_ROUTE] = "Record-Route",
	[TD_SIP_H_EXPIRES] = "Expires",
	[TD_SIP_H_MIN_EXPIRES] = "Min-Expires",
	[TD_SIP_H_AUTHORIZATION] = "Authorization",
	[TD_SIP_H_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[TD_SIP_H_WWW_AUTHENTICATE] = "WWW-Authenticate",
	[TD_SIP_H_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[TD_SIP_H_REQUIRE] = "Require",
	[TD_SIP_H_PROXY_REQUIRE] = "Proxy-Require",
	[TD_SIP_H_SUPPORTED] = "Supported",
	[TD_SIP_H_UNSUPPORTED] = "Unsupported",
	[TD_SIP_H_ALLOW] = "Allow",
	[TD_SIP_H_ALLOW_EVENTS] = "Allow-Events",
	[TD_SIP_H_EVENT] = "Event",
	[TD_SIP_H_SUBJECT] = "Subject",
	[TD_SIP_H_REFER_TO] = "Refer-To",
	[TD_SIP_H_REFERRED_BY] = "Referred-By",
	[TD_SIP_H_SESSION_EXPIRES] = "Session-Expires",
	[TD_SIP_H_ACCEPT] = "Accept",
	[TD_SIP_H_ACCEPT_CONTACT] = "Accept-Contact",
	[TD_SIP_H_REJECT_CONTACT] = "Reject-Contact",
	[TD_SIP_H_REQUEST_DISPOSITION] = "Request-Disposition",
	[TD_SIP_H_IDENTITY] = "Identity",
	[TD_SIP_H_IDENTITY_INFO] = "Identity-Info",
	[TD_SIP_H_PATH] = "Path",
	[TD_SIP_H_SERVICE_ROUTE] = "Service-Route",
	[TD_SIP_H_USER_AGENT] = "User-Agent",
	[TD_SIP_H_SERVER] = "Server",
	[TD_SIP_H_DATE] = "Date",
	[TD_SIP_H_RETRY_AFTER] = "Retry-After",
	[TD_SIP_H_WARNING] = "Warning",
	[TD_SIP_H_TIMESTAMP] = "Timestamp",
	[TD_SIP_H_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
	[TD_SIP_H_P_PREFERRED_IDENTITY] = "P-Preferred-Identity",
	[TD_SIP_H_REASON] = "Reason",
	[TD_SIP_H_PRIVACY] = "Privacy",
};

/* name_is: p[0, n) equals the lower-case literal lc, ignoring ASCII case.
 * Only called on token characters, for which c | 0x20 lowers letters and
 * leaves every other token character unchanged. */
static inline bool
name_is(const char *p, const char *lc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((p[i] | 0x20) != lc[i]) {
			return (false);
		}
	}
	return (true);
}

td_sip_hdr_type
td_sip_hdr_lookup(const char *p, size_t n)
{
	if (n == 1) {
		switch (p[0] | 0x20) {
		case 'a': return (TD_SIP_H_ACCEPT_CONTACT);
		case 'b': return (TD_SIP_H_REFERRED_BY);
		case 'c': return (TD_SIP_H_CONTENT_TYPE);
		case 'd': return (TD_SIP_H_REQUEST_DISPOSITION);
		case 'e': return (TD_SIP_H_CONTENT_ENCODING);
		case 'f': return (TD_SIP_H_FROM);
		case 'i': return (TD_SIP_H_CALL_ID);
		case 'j': return (TD_SIP_H_REJECT_CONTACT);
		case 'k': return (TD_SIP_H_SUPPORTED);
		case 'l': return (TD_SIP_H_CONTENT_LENGTH);
		case 'm': return (TD_SIP_H_CONTACT);
		case 'n': return (TD_SIP_H_IDENTITY_INFO);
		case 'o': return (TD_SIP_H_EVENT);
		case 'r': return (TD_SIP_H_REFER_TO);
		case 's': return (TD_SIP_H_SUBJECT);
		case 't': return (TD_SIP_H_TO);
		case 'u': return (TD_SIP_H_ALLOW_EVENTS);
		case 'v': return (TD_SIP_H_VIA);
		case 'x': return (TD_SIP_H_SESSION_EXPIRES);
		case 'y': return (TD_SIP_H_IDENTITY);
		default: return (TD_SIP_H_OTHER);
		}
	}
	switch (n) {
	case 2:
		switch (p[0] | 0x20) {
		case 't':
			if (name_is(p, "to", 2)) {
				return (TD_SIP_H_TO);
			}
			break;
		default: break;
		}
		break;
	case 3:
		switch (p[0] | 0x20) {
		case 'v':
			if (name_is(p, "via", 3)) {
				return (TD_SIP_H_VIA);
			}
			break;
		default: break;
		}
		break;
	case 4:
		switch (p[0] | 0x20) {
		case 'c':
			if (name_is(p, "cseq", 4)) {
				return (TD_SIP_H_CSEQ);
			}
			break;
		case 'd':
			if (name_is(p, "date", 4)) {
				return (TD_SIP_H_DATE);
			}
			break;
		case 'f':
			if (name_is(p, "from", 4)) {
				return (TD_SIP_H_FROM);
			}
			break;
		case 'p':
			if (name_is(p, "path", 4)) {
				return (TD_SIP_H_PATH);
			}
			break;
		default: break;
		}
		break;
	case 5:
		switch (p[0] | 0x20) {
		case 'a':
			if (name_is(p, "allow", 5)) {
				return (TD_SIP_H_ALLOW);
			}
			break;
		case 'e':
			if (name_is(p, "event", 5)) {
				return (TD_SIP_H_EVENT);
			}
			break;
		case 'r':
			if (name_is(p, "route", 5)) {
				return (TD_SIP_H_ROUTE);
			}
			break;
		default: break;
		}
		break;
	case 6:
		switch (p[0] | 0x20) {
		case 'a':
			if (name_is(p, "accept", 6)) {
				return (TD_SIP_H_ACCEPT);
			}
			break;
		case 'r':
			if (name_is(p, "reason", 6)) {
				return (TD_SIP_H_REASON);
			}
			break;
		case 's':
			if (name_is(p, "server", 6)) {
				return (TD_SIP_H_SERVER);
			}
			break;
		default: break;
		}
		break;
	case 7:
		switch (p[0] | 0x20) {
		case 'c':
			if (name_is(p, "call-id", 7)) {
				return (TD_SIP_H_CALL_ID);
			}
			if (name_is(p, "contact", 7)) {
				return (TD_SIP_H_CONTACT);
			}
			break;
		case 'e':
			if (name_is(p, "expires", 7)) {
				return (TD_SIP_H_EXPIRES);
			}
			break;
		case 'p':
			if (name_is(p, "privacy", 7)) {
				return (TD_SIP_H_PRIVACY);
			}
			break;
		case 'r':
			if (name_is(p, "require", 7)) {
				return (TD_SIP_H_REQUIRE);
			}
			break;
		case 's':
			if (name_is(p, "subject", 7)) {
				return (TD_SIP_H_SUBJECT);
			}
			break;
		case 'w':
			if (name_is(p, "warning", 7)) {
				return (TD_SIP_H_WARNING);
			}
			break;
		default: break;
		}
		break;
	case 8:
		switch (p[0] | 0x20) {
		case 'i':
			if (name_is(p, "identity", 8)) {
				return (TD_SIP_H_IDENTITY);
			}
			break;
		case 'r':
			if (name_is(p, "refer-to", 8)) {
				return (TD_SIP_H_REFER_TO);
			}
			break;
		default: break;
		}
		break;
	case 9:
		switch (p[0] | 0x20) {
		case 's':
			if (name_is(p, "supported", 9)) {
				return (TD_SIP_H_SUPPORTED);
			}
			break;
		case 't':
			if (name_is(p, "timestamp", 9)) {
				return (TD_SIP_H_TIMESTAMP);
			}
			break;
		default: break;
		}
		break;
	case 10:
		switch (p[0] | 0x20) {
		case 'u':
			if (name_is(p, "user-agent", 10)) {
				return (TD_SIP_H_USER_AGENT);
			}
			break;
		default: break;
		}
		break;
	case 11:
		switch (p[0] | 0x20) {
		case 'm':
			if (name_is(p, "min-expires", 11)) {
				return (TD_SIP_H_MIN_EXPIRES);
			}
			break;
		case 'r':
			if (name_is(p, "referred-by", 11)) {
				return (TD_SIP_H_REFERRED_BY);
			}
			if (name_is(p, "retry-after", 11)) {
				return (TD_SIP_H_RETRY_AFTER);
			}
			break;
		case 'u':
			if (name_is(p, "unsupported", 11)) {
				return (TD_SIP_H_UNSUPPORTED);
			}
			break;
		default: break;
		}
		break;
	case 12:
		switch (p[0] | 0x20) {
		case 'a':
			if (name_is(p, "allow-events", 12)) {
				return (TD_SIP_H_ALLOW_EVENTS);
			}
			break;
		case 'c':
			if (name_is(p, "content-type", 12)) {
				return (TD_SIP_H_CONTENT_TYPE);
			}
			break;
		case 'm':
			if (name_is(p, "max-forwards", 12)) {
				return (TD_SIP_H_MAX_FORWARDS);
			}
			break;
		case 'r':
			if (name_is(p, "record-route", 12)) {
				return (TD_SIP_H_RECORD_ROUTE);
			}
			break;
		default: break;
		}
		break;
	case 13:
		switch (p[0] | 0x20) {
		case 'a':
			if (name_is(p, "authorization", 13)) {
				return (TD_SIP_H_AUTHORIZATION);
			}
			break;
		case 'i':
			if (name_is(p, "identity-info", 13)) {
				return (TD_SIP_H_IDENTITY_INFO);
			}
			break;
		case 'p':
			if (name_is(p, "proxy-require", 13)) {
				return (TD_SIP_H_PROXY_REQUIRE);
			}
			break;
		case 's':
			if (name_is(p, "service-route", 13)) {
				return (TD_SIP_H_SERVICE_ROUTE);
			}
			break;
		default: break;
		}
		break;
	case 14:
		switch (p[0] | 0x20) {
		case 'a':
			if (name_is(p, "accept-contact", 14)) {
				return (TD_SIP_H_ACCEPT_CONTACT);
			}
			break;
		case 'c':
			if (name_is(p, "content-length", 14)) {
				return (TD_SIP_H_CONTENT_LENGTH);
			}
			break;
		case 'r':
			if (name_is(p, "reject-contact", 14)) {
				return (TD_SIP_H_REJECT_CONTACT);
			}
			break;
		default: break;
		}
		break;
	case 15:
		switch (p[0] | 0x20) {
		case 's':
			if (name_is(p, "session-expires", 15)) {
				return (TD_SIP_H_SESSION_EXPIRES);
			}
			break;
		default: break;
		}
		break;
	case 16:
		switch (p[0] | 0x20) {
		case 'c':
			if (name_is(p, "content-encoding", 16)) {
				return (TD_SIP_H_CONTENT_ENCODING);
			}
			break;
		case 'w':
			if (name_is(p, "www-authenticate", 16)) {
				return (TD_SIP_H_WWW_AUTHENTICATE);
			}
			break;
		default: break;
		}
		break;
	case 18:
		switch (p[0] | 0x20) {
		case 'p':
			if (name_is(p, "proxy-authenticate", 18)) {
				return (TD_SIP_H_PROXY_AUTHENTICATE);
			}
			break;
		default: break;
		}
		break;
	case 19:
		switch (p[0] | 0x20) {
		case 'p':
			if (name_is(p, "proxy-authorization", 19)) {
				return (TD_SIP_H_PROXY_AUTHORIZATION);
			}
			if (name_is(p, "p-asserted-identity", 19)) {
				return (TD_SIP_H_P_ASSERTED_IDENTITY);
			}
			break;
		case 'r':
			if (name_is(p, "request-disposition", 19)) {
				return (TD_SIP_H_REQUEST_DISPOSITION);
			}
			break;
		default: break;
		}
		break;
	case 20:
		switch (p[0] | 0x20) {
		case 'p':
			if (name_is(p, "p-preferred-identity", 20)) {
				return (TD_SIP_H_P_PREFERRED_IDENTITY);
			}
			break;
		default: break;
		}
		break;
	default: break;
	}
	return (TD_SIP_H_OTHER);
}

const char *
td_sip_hdr_name(td_sip_hdr_type t)
{
	return ((unsigned)t < TD_SIP_H__COUNT ? hdr_names[t] : "");
}

static const char *const method_names[TD_SIP_METHOD__COUNT] = {
	[TD_SIP_METHOD_OTHER] = "",
	[TD_SIP_INVITE] = "INVITE",
	[TD_SIP_ACK] = "ACK",
	[TD_SIP_BYE] = "BYE",
	[TD_SIP_CANCEL] = "CANCEL",
	[TD_SIP_OPTIONS] = "OPTIONS",
	[TD_SIP_REGISTER] = "REGISTER",
	[TD_SIP_PRACK] = "PRACK",
	[TD_SIP_SUBSCRIBE] = "SUBSCRIBE",
	[TD_SIP_NOTIFY] = "NOTIFY",
	[TD_SIP_PUBLISH] = "PUBLISH",
	[TD_SIP_INFO] = "INFO",
	[TD_SIP_REFER] = "REFER",
	[TD_SIP_MESSAGE] = "MESSAGE",
	[TD_SIP_UPDATE] = "UPDATE",
};

td_sip_method
td_sip_method_lookup(td_sip_str tok)
{
	/* Dispatch on the first letter; methods are case-sensitive (RFC 3261 §7.1). */
	td_sip_method cand[2] = { TD_SIP_METHOD_OTHER, TD_SIP_METHOD_OTHER };
	if (tok.n < 3) {
		return (TD_SIP_METHOD_OTHER);
	}
	switch (tok.p[0]) {
	case 'A': cand[0] = TD_SIP_ACK; break;
	case 'B': cand[0] = TD_SIP_BYE; break;
	case 'C': cand[0] = TD_SIP_CANCEL; break;
	case 'I':
		cand[0] = TD_SIP_INVITE;
		cand[1] = TD_SIP_INFO;
		break;
	case 'M': cand[0] = TD_SIP_MESSAGE; break;
	case 'N': cand[0] = TD_SIP_NOTIFY; break;
	case 'O': cand[0] = TD_SIP_OPTIONS; break;
	case 'P':
		cand[0] = TD_SIP_PRACK;
		cand[1] = TD_SIP_PUBLISH;
		break;
	case 'R':
		cand[0] = TD_SIP_REGISTER;
		cand[1] = TD_SIP_REFER;
		break;
	case 'S': cand[0] = TD_SIP_SUBSCRIBE; break;
	case 'U': cand[0] = TD_SIP_UPDATE; break;
	default: return (TD_SIP_METHOD_OTHER);
	}
	for (int i = 0; i < 2; i++) {
		if (cand[i] != TD_SIP_METHOD_OTHER && td_sip_str_eq(tok, method_names[cand[i]])) {
			return (cand[i]);
		}
	}
	return (TD_SIP_METHOD_OTHER);
}

const char *
td_sip_method_name(td_sip_method m)
{
	return ((unsigned)m < TD_SIP_METHOD__COUNT ? method_names[m] : "");
}

bool
td_sip_version_is_20(td_sip_str v)
{
	return (v.n == 7 && name_is(v.p, "sip", 3) && memcmp(v.p + 3, "/2.0", 4) == 0);
}

const char *
td_sip_reason_phrase(int status)
{
	switch (status) {
	case 100: return ("Trying");
	case 180: return ("Ringing");
	case 181: return ("Call Is Being Forwarded");
	case 182: return ("Queued");
	case 183: return ("Session Progress");
	case 200: return ("OK");
	case 202: return ("Accepted");
	case 300: return ("Multiple Choices");
	case 301: return ("Moved Permanently");
	case 302: return ("Moved Temporarily");
	case 305: return ("Use Proxy");
	case 380: return ("Alternative Service");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 402: return ("Payment Required");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 406: return ("Not Acceptable");
	case 407: return ("Proxy Authentication Required");
	case 408: return ("Request Timeout");
	case 410: return ("Gone");
	case 413: return ("Request Entity Too Large");
	case 414: return ("Request-URI Too Long");
	case 415: return ("Unsupported Media Type");
	case 416: return ("Unsupported URI Scheme");
	case 420: return ("Bad Extension");
	case 421: return ("Extension Required");
	case 423: return ("Interval Too Brief");
	case 480: return ("Temporarily Unavailable");
	case 481: return ("Call/Transaction Does Not Exist");
	case 482: return ("Loop Detected");
	case 483: return ("Too Many Hops");
	case 484: return ("Address Incomplete");
	case 485: return ("Ambiguous");
	case 486: return ("Busy Here");
	case 487: return ("Request Terminated");
	case 488: return ("Not Acceptable Here");
	case 491: return ("Request Pending");
	case 493: return ("Undecipherable");
	case 500: return ("Server Internal Error");
	case 501: return ("Not Implemented");
	case 502: return ("Bad Gateway");
	case 503: return ("Service Unavailable");
	case 504: return ("Server Time-out");
	case 505: return ("Version Not Supported");
	case 513: return ("Message Too Large");
	case 600: return ("Busy Everywhere");
	case 603: return ("Decline");
	case 604: return ("Does Not Exist Anywhere");
	case 606: return ("Not Acceptable");
	default: return ("Unknown");
	}
}
