/* SPDX-License-Identifier: MIT */
/*
 * Framing: where a SIP message ends (RFC 3261 §18.3, RFC 4475 §3.1.2.2/.3,
 * §3.3.9, RFC 5626 §4.4.1 keep-alives).
 *
 * Datagram (UDP): the datagram is the message.  The body is Content-Length
 * octets; octets after it are ignored (never forwarded); no Content-Length
 * means the body runs to the end of the datagram; a Content-Length larger
 * than what is there, negative, malformed or given twice with different
 * values is an error (answer 400).  A datagram that ends before the empty
 * line is taken as ending the header section (m->unterminated is set).
 *
 * Stream (TCP/TLS): the caller keeps a receive buffer and calls
 * td_sip_frame_stream on what it holds.  Leading CRLFs are skipped; a
 * CRLFCRLF ping is reported so the caller can answer the CRLF pong.  A
 * missing Content-Length counts as 0.  A negative, malformed or
 * conflicting Content-Length loses the framing: the caller must close the
 * connection.
 *
 * Pure functions: no I/O, no allocation; m points into buf afterwards.
 */
#ifndef TD_SIP_FRAME_H
#define TD_SIP_FRAME_H

#include <stddef.h>

#include "sip/sip.h"

enum {
	TD_SIP_FRAME_MSG = 0, /* a whole message is in m */
	TD_SIP_FRAME_MORE = 1, /* stream: need more bytes */
	TD_SIP_FRAME_PING = 2, /* a keep-alive (CRLFCRLF ping, or a datagram of only CR/LF) */
	TD_SIP_FRAME_BAD = 3, /* stream: a framed but malformed message; answer, then go on */
};

/*
 * td_sip_frame_datagram parses one datagram of len octets into m and
 * trims m->body and m->len to Content-Length.  max is the largest message
 * accepted (0 = no limit).  Returns TD_SIP_FRAME_MSG, TD_SIP_FRAME_PING, or
 * a negative td_err: TD_EPROTO (malformed: answer m->err_status to a
 * request, drop a response), TD_ETOOBIG (len > max or too many headers:
 * 513).  After an error m is indexed as far as td_sip_parse gets, so the
 * answer can be built from the request's own headers.  After
 * TD_SIP_FRAME_PING, m is not filled in.  Reentrant.
 */
int td_sip_frame_datagram(td_sip_msg *m, const char *buf, size_t len, size_t max) TD_MUSTCHECK;

/*
 * td_sip_frame_stream looks at the len octets a stream connection has
 * delivered so far.  *used is always set: the octets the caller may drop
 * from the front of its buffer once it is done with m.
 *   TD_SIP_FRAME_MSG:  m holds the next message (parsed, body per Content-Length)
 *   TD_SIP_FRAME_BAD:  the next message is framed but malformed (m->err_status,
 *                      m->is_request say what to answer); the stream goes on
 *   TD_SIP_FRAME_PING: *used octets were a CRLFCRLF keep-alive: send CRLF back
 *   TD_SIP_FRAME_MORE: read more, then call again with the whole buffer
 *   TD_EPROTO:         Content-Length negative, malformed or conflicting: close
 *   TD_ETOOBIG:        the message would exceed max (0 = no limit): close
 * Reentrant.
 */
int td_sip_frame_stream(
    td_sip_msg *m, const char *buf, size_t len, size_t max, size_t *used) TD_MUSTCHECK;

#endif
