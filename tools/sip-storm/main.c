/* SPDX-License-Identifier: MIT */
/*
 * sip-storm: a bounded storm of malformed SIP at a server, to show that it
 * survives bad input and keeps serving (brief, guarantee 4).
 *
 *   sip-storm --target HOST:PORT [--transport udp|tcp|both] [--count N]
 *             [--rate PER_S] [--sources K] [--corpus DIR] [--seed S]
 *             [--wait MS] [--tcp-reuse M] [--verbose]
 *
 * Sends, in this order, until N messages have gone out: every file of
 * DIR/invalid/ and DIR/extra/ as it is (RFC 4475's invalid messages and the
 * archive's extra file), then random mutations of the files of DIR/valid/:
 * bit flips, truncations, duplicated header lines, a huge header, NUL bytes,
 * pure garbage, a lying Content-Length, special characters, a repeated
 * slice, broken line ends, and stacks of two or three of these.  At most
 * PER_S messages a second, round robin over K sources: K UDP sockets (K
 * source ports) and/or K TCP connections (each reopened after M messages or
 * when the server closes it).  With --transport both, messages alternate.
 * Answers are read all along and for MS milliseconds at the end, and
 * counted by status class.  The output is two lines of key=value pairs:
 *
 *   sent=N udp=.. tcp=.. bytes=.. send_errors=.. tcp_connects=.. tcp_closed=..
 *   responses=.. 1xx=.. 2xx=.. 3xx=.. 4xx=.. 5xx=.. 6xx=.. other=.. seed=..
 *   codes: 400=.. 404=..      (every status code seen)
 *   kinds: file=.. bitflip=.. truncate=.. ...
 *
 * Exit status: 0 when at least one message was sent, 1 when none could be
 * (target unreachable), 2 on bad usage or an unreadable corpus.  Defaults:
 * udp, 1000 messages, 500/s, 4 sources, corpus tests/data/sip-torture,
 * wait 1000 ms, TCP connections reopened every 20 messages.  Bounds: at
 * most 10,000,000 messages, 100,000/s, 64 sources.  The seed is printed, so
 * a storm can be replayed (--seed).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sip/frame.h"
#include "sip/sip.h"
#include "util/clock.h"
#include "util/mem.h"

#define MAX_COUNT 10000000L
#define MAX_RATE 100000L
#define MAX_SOURCES 64
#define MAX_FILE (1024 * 1024)
#define UDP_MAX 65507 /* the largest IPv4 UDP payload */
#define TCP_MAX (256 * 1024)
#define RX_BUF (256 * 1024)

/* ---- random numbers: xorshift64*, reproducible from --seed ----------------- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 2685821657736338717ULL);
}

/* rnd_below: uniform in [0, n); n > 0. */
static size_t
rnd_below(size_t n)
{
	return ((size_t)(rnd() % n));
}

/* rnd_in: uniform in [lo, hi]. */
static size_t
rnd_in(size_t lo, size_t hi)
{
	return (lo + rnd_below(hi - lo + 1));
}

/* ---- a growable byte buffer ------------------------------------------------ */

typedef struct bytes {
	char *p;
	size_t len, cap;
} bytes;

static void
bytes_reserve(bytes *b, size_t n)
{
	if (n <= b->cap) {
		return;
	}
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < n) {
		cap *= 2;
	}
	b->p = td_xrealloc(b->p, cap);
	b->cap = cap;
}

static void
bytes_set(bytes *b, const char *p, size_t n)
{
	bytes_reserve(b, n);
	memcpy(b->p, p, n);
	b->len = n;
}

/* bytes_splice: replace del octets at off with ins[0..n). */
static void
bytes_splice(bytes *b, size_t off, size_t del, const char *ins, size_t n)
{
	if (off > b->len) {
		off = b->len;
	}
	if (del > b->len - off) {
		del = b->len - off;
	}
	bytes_reserve(b, b->len - del + n);
	memmove(b->p + off + n, b->p + off + del, b->len - off - del);
	if (n > 0) {
		memcpy(b->p + off, ins, n);
	}
	b->len = b->len - del + n;
}

/* ---- the corpus ------------------------------------------------------------ */

typedef struct corpus {
	bytes *msgs;
	char **names;
	size_t n;
} corpus;

static int
cmp_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* corpus_add_dir: every regular file of dir, by name.  Missing dir: nothing. */
static int
corpus_add_dir(corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		return (errno == ENOENT ? 0 : -1);
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0
		    || strcmp(e->d_name, "SHA256SUMS") == 0) {
			continue;
		}
		names = td_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = td_xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 1) {
		qsort(names, n, sizeof(*names), cmp_names);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0
		    || st.st_size > MAX_FILE) {
			free(names[i]);
			continue;
		}
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			rc = -1;
			free(names[i]);
			continue;
		}
		c->msgs = td_xrealloc(c->msgs, (c->n + 1) * sizeof(*c->msgs));
		c->names = td_xrealloc(c->names, (c->n + 1) * sizeof(*c->names));
		bytes *b = &c->msgs[c->n];
		memset(b, 0, sizeof(*b));
		bytes_reserve(b, (size_t)st.st_size);
		b->len = fread(b->p, 1, (size_t)st.st_size, f);
		fclose(f);
		c->names[c->n] = names[i];
		c->n++;
	}
	free(names);
	return (rc);
}

/* ---- mutations --------------------------------------------------------------- */

enum kind {
	K_FILE,
	K_BITFLIP,
	K_TRUNCATE,
	K_DUP_HEADER,
	K_HUGE_HEADER,
	K_NUL,
	K_GARBAGE,
	K_CL_LIE,
	K_SPECIAL,
	K_REPEAT,
	K_CRLF,
	K_STACK,
	K__COUNT
};

static const char *const kind_names[K__COUNT] = { "file", "bitflip", "truncate", "dup_header",
	"huge_header", "nul", "garbage", "cl_lie", "special", "repeat", "crlf", "stack" };

/* header_line: a random header line of m (after the start line, before the
 * empty line): *off and *len (with its line end).  False if there is none. */
static bool
header_line(const bytes *m, size_t *off, size_t *len)
{
	const char *p = m->p, *end = m->p + m->len;
	const char *first = memchr(p, '\n', m->len);
	if (first == NULL) {
		return (false);
	}
	size_t starts[TD_SIP_MAX_HEADERS * 2];
	size_t lens[TD_SIP_MAX_HEADERS * 2];
	size_t n = 0;
	const char *s = first + 1;
	while (s < end && n < TD_SIP_MAX_HEADERS * 2) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
		if (l <= 2 && (s[0] == '\r' || s[0] == '\n')) {
			break; /* the empty line */
		}
		starts[n] = (size_t)(s - p);
		lens[n] = l;
		n++;
		if (nl == NULL) {
			break;
		}
		s = nl + 1;
	}
	if (n == 0) {
		return (false);
	}
	size_t i = rnd_below(n);
	*off = starts[i];
	*len = lens[i];
	return (true);
}

/* headers_end: offset just after the start line (where a header can go). */
static size_t
after_start_line(const bytes *m)
{
	const char *nl = memchr(m->p, '\n', m->len);
	return (nl ? (size_t)(nl - m->p) + 1 : m->len);
}

static void
mut_bitflip(bytes *m)
{
	size_t flips = rnd_in(1, 16);
	for (size_t i = 0; i < flips && m->len > 0; i++) {
		m->p[rnd_below(m->len)] ^= (char)(1u << rnd_below(8));
	}
}

static void
mut_truncate(bytes *m)
{
	if (m->len > 1) {
		m->len = rnd_in(1, m->len - 1);
	}
}

static void
mut_dup_header(bytes *m, size_t max)
{
	size_t off, len;
	if (!header_line(m, &off, &len)) {
		return;
	}
	size_t times = rnd_below(4) == 0 ? rnd_in(100, 300) : rnd_in(1, 20);
	char *line = td_xmalloc(len);
	memcpy(line, m->p + off, len);
	for (size_t i = 0; i < times && m->len + len <= max; i++) {
		bytes_splice(m, off, 0, line, len);
	}
	free(line);
}

static void
mut_huge_header(bytes *m, size_t max)
{
	static const char *const names[] = { "X-Storm-Huge: ", "Subject: ", "Via: SIP/2.0/UDP ",
		"To: <sip:", "Call-ID: ", "Contact: <sip:", "User-Agent: " };
	const char *name = names[rnd_below(sizeof(names) / sizeof(names[0]))];
	size_t nlen = strlen(name);
	if (m->len + nlen + 2 + 1024 > max) {
		return;
	}
	size_t n = rnd_in(1024, max - m->len - nlen - 2);
	char *h = td_xmalloc(nlen + n + 2);
	memcpy(h, name, nlen);
	memset(h + nlen, "aZ9.;=%"[rnd_below(7)], n);
	memcpy(h + nlen + n, "\r\n", 2);
	bytes_splice(m, after_start_line(m), 0, h, nlen + n + 2);
	free(h);
}

static void
mut_nul(bytes *m)
{
	size_t k = rnd_in(1, 8);
	for (size_t i = 0; i < k; i++) {
		size_t at = rnd_below(m->len + 1);
		if (rnd_below(2) == 0 && at < m->len) {
			m->p[at] = '\0';
		} else {
			bytes_splice(m, at, 0, "\0", 1);
		}
	}
}

static void
mut_garbage(bytes *m, size_t max)
{
	size_t n = rnd_in(1, max < 4096 ? max : 4096);
	bytes_reserve(m, n);
	size_t i = 0;
	if (rnd_below(3) == 0 && n > 8) { /* looks like a SIP start, then noise */
		memcpy(m->p, rnd_below(2) ? "SIP/2.0 " : "INVITE s", 8);
		i = 8;
	}
	for (; i < n; i++) {
		m->p[i] = (char)(rnd() & 0xff);
	}
	m->len = n;
}

static void
mut_cl_lie(bytes *m)
{
	static const char *const lies[]
	    = { "-1", "-999", "99999999", "4294967296", "18446744073709551616", "abc", "", "5, 7",
		      "0x10", " 1 2", "999999999999999999999999" };
	const char *lie = lies[rnd_below(sizeof(lies) / sizeof(lies[0]))];
	char num[32];
	if (rnd_below(4) == 0) {
		snprintf(num, sizeof(num), "%zu", rnd_below(100000));
		lie = num;
	}
	/* find a Content-Length (or l:) header line */
	const char *p = m->p;
	for (size_t i = 0; i + 2 < m->len; i++) {
		if (p[i] != '\n') {
			continue;
		}
		const char *h = p + i + 1;
		size_t rest = m->len - i - 1;
		size_t nlen = 0;
		if (rest > 15 && strncasecmp(h, "Content-Length:", 15) == 0) {
			nlen = 15;
		} else if (rest > 2 && strncasecmp(h, "l:", 2) == 0) {
			nlen = 2;
		}
		if (nlen == 0) {
			continue;
		}
		size_t v = i + 1 + nlen;
		size_t e = v;
		while (e < m->len && p[e] != '\r' && p[e] != '\n') {
			e++;
		}
		char val[64];
		int n = snprintf(val, sizeof(val), " %s", lie);
		bytes_splice(m, v, e - v, val, (size_t)n);
		return;
	}
	char line[96];
	int n = snprintf(line, sizeof(line), "Content-Length: %s\r\n", lie);
	bytes_splice(m, after_start_line(m), 0, line, (size_t)n);
}

static void
mut_special(bytes *m)
{
	static const char specials[] = "<>\"';:,@%\\ \t\r\n\x7f\xff=?&[]";
	size_t k = rnd_in(1, 12);
	for (size_t i = 0; i < k && m->len > 0; i++) {
		m->p[rnd_below(m->len)] = specials[rnd_below(sizeof(specials) - 1)];
	}
}

static void
mut_repeat(bytes *m, size_t max)
{
	if (m->len < 2) {
		return;
	}
	size_t at = rnd_below(m->len - 1);
	size_t n = rnd_in(1, m->len - at < 32 ? m->len - at : 32);
	size_t times = rnd_in(10, 2000);
	char slice[32];
	memcpy(slice, m->p + at, n);
	for (size_t i = 0; i < times && m->len + n <= max; i++) {
		bytes_splice(m, at, 0, slice, n);
	}
}

static void
mut_crlf(bytes *m)
{
	switch (rnd_below(4)) {
	case 0: /* an early empty line */
		bytes_splice(m, rnd_below(m->len + 1), 0, "\r\n\r\n", 4);
		break;
	case 1: /* bare LF everywhere */
		for (size_t i = 0; i + 1 < m->len; i++) {
			if (m->p[i] == '\r' && m->p[i + 1] == '\n') {
				bytes_splice(m, i, 1, NULL, 0);
			}
		}
		break;
	case 2: /* bare CR everywhere */
		for (size_t i = 0; i + 1 < m->len; i++) {
			if (m->p[i] == '\r' && m->p[i + 1] == '\n') {
				bytes_splice(m, i + 1, 1, NULL, 0);
			}
		}
		break;
	default: /* a folded line with nothing on it */
		bytes_splice(m, after_start_line(m), 0, " \r\n\t\r\n", 6);
		break;
	}
}

static void
mutate_once(bytes *m, int k, size_t max)
{
	switch (k) {
	case K_BITFLIP: mut_bitflip(m); break;
	case K_TRUNCATE: mut_truncate(m); break;
	case K_DUP_HEADER: mut_dup_header(m, max); break;
	case K_HUGE_HEADER: mut_huge_header(m, max); break;
	case K_NUL: mut_nul(m); break;
	case K_GARBAGE: mut_garbage(m, max); break;
	case K_CL_LIE: mut_cl_lie(m); break;
	case K_SPECIAL: mut_special(m); break;
	case K_REPEAT: mut_repeat(m, max); break;
	case K_CRLF: mut_crlf(m); break;
	default: break;
	}
}

/* mutate: one random kind (or a stack of 2-3 kinds) applied to m. */
static int
mutate(bytes *m, size_t max)
{
	int k = (int)rnd_in(K_BITFLIP, K_STACK);
	if (k == K_STACK) {
		size_t n = rnd_in(2, 3);
		for (size_t i = 0; i < n; i++) {
			mutate_once(m, (int)rnd_in(K_BITFLIP, K_CRLF), max);
		}
	} else {
		mutate_once(m, k, max);
	}
	if (m->len > max) {
		m->len = max;
	}
	if (m->len == 0) {
		bytes_set(m, "\x01", 1);
	}
	return (k);
}

/* ---- sockets --------------------------------------------------------------- */

typedef struct tcp_conn {
	int fd;
	int sent; /* messages on this connection */
	bytes rx;
} tcp_conn;

typedef struct storm {
	struct sockaddr_storage target;
	socklen_t target_len;
	int udp[MAX_SOURCES];
	tcp_conn tcp[MAX_SOURCES];
	int sources;
	int tcp_reuse;
	bool verbose;
	/* counters */
	long sent, sent_udp, sent_tcp, send_errors, tcp_connects, tcp_closed;
	unsigned long long bytes_sent;
	long responses, other, classes[7];
	long codes[700];
	long kinds[K__COUNT];
	char rxbuf[UDP_MAX + 1];
} storm;

static void
count_response(storm *s, const char *p, size_t n)
{
	if (n >= 12 && memcmp(p, "SIP/2.0 ", 8) == 0 && p[8] >= '1' && p[8] <= '6' && p[9] >= '0'
	    && p[9] <= '9' && p[10] >= '0' && p[10] <= '9') {
		int code = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
		s->responses++;
		s->classes[code / 100]++;
		s->codes[code]++;
	} else {
		s->other++;
	}
}

static void
udp_drain(storm *s)
{
	for (int i = 0; i < s->sources; i++) {
		if (s->udp[i] < 0) {
			continue;
		}
		for (;;) {
			ssize_t n = recv(s->udp[i], s->rxbuf, sizeof(s->rxbuf) - 1, MSG_DONTWAIT);
			if (n < 0) {
				break; /* EAGAIN, or an ICMP error reported here */
			}
			count_response(s, s->rxbuf, (size_t)n);
		}
	}
}

static void
tcp_close(storm *s, tcp_conn *c, bool by_peer)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		if (by_peer) {
			s->tcp_closed++;
		}
	}
	c->rx.len = 0;
	c->sent = 0;
}

/* tcp_frame: counts every whole message in c->rx and keeps the rest. */
static void
tcp_frame(storm *s, tcp_conn *c)
{
	static td_sip_msg m;
	size_t off = 0;
	while (off < c->rx.len) {
		size_t used = 0;
		int rc = td_sip_frame_stream(&m, c->rx.p + off, c->rx.len - off, RX_BUF, &used);
		if (rc == TD_SIP_FRAME_MORE) {
			break;
		}
		if (rc == TD_SIP_FRAME_MSG || rc == TD_SIP_FRAME_BAD) {
			count_response(s, c->rx.p + off, c->rx.len - off);
		} else if (rc != TD_SIP_FRAME_PING) {
			s->other++; /* lost framing: drop what we hold */
			off = c->rx.len;
			break;
		}
		if (used == 0) {
			break;
		}
		off += used;
	}
	if (off > 0) {
		bytes_splice(&c->rx, 0, off, NULL, 0);
	}
	if (c->rx.len >= RX_BUF) {
		s->other++;
		c->rx.len = 0;
	}
}

static void
tcp_drain(storm *s)
{
	for (int i = 0; i < s->sources; i++) {
		tcp_conn *c = &s->tcp[i];
		while (c->fd >= 0) {
			bytes_reserve(&c->rx, c->rx.len + 65536);
			ssize_t n = recv(c->fd, c->rx.p + c->rx.len, 65536, MSG_DONTWAIT);
			if (n > 0) {
				c->rx.len += (size_t)n;
				tcp_frame(s, c);
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				tcp_close(s, c, true);
			}
			break;
		}
	}
}

static int
tcp_open(storm *s, tcp_conn *c)
{
	int fd = socket(s->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return (-1);
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s->target, s->target_len) != 0
	    && errno != EINPROGRESS) {
		close(fd);
		return (-1);
	}
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t el = sizeof(err);
	if (poll(&p, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0
	    || err != 0) {
		close(fd);
		return (-1);
	}
	c->fd = fd;
	c->sent = 0;
	c->rx.len = 0;
	s->tcp_connects++;
	return (0);
}

/* tcp_send_all: the whole message, waiting up to 2 s for room. */
static int
tcp_send_all(int fd, const char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = send(fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			if (poll(&pf, 1, 2000) != 1) {
				return (-1);
			}
			continue;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		return (-1);
	}
	return (0);
}

static bool
send_tcp(storm *s, int src, const bytes *m)
{
	tcp_conn *c = &s->tcp[src];
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->fd >= 0 && c->sent >= s->tcp_reuse) {
			tcp_close(s, c, false);
		}
		if (c->fd < 0 && tcp_open(s, c) != 0) {
			return (false);
		}
		if (tcp_send_all(c->fd, m->p, m->len) == 0) {
			c->sent++;
			return (true);
		}
		tcp_close(s, c, true); /* the server closed it: reopen once */
	}
	return (false);
}

static bool
send_udp(storm *s, int src, const bytes *m)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		ssize_t w = send(s->udp[src], m->p, m->len, MSG_DONTWAIT);
		if (w == (ssize_t)m->len) {
			return (true);
		}
		/* ECONNREFUSED reports an ICMP error for an earlier datagram */
		if (w >= 0 || errno != ECONNREFUSED) {
			break;
		}
	}
	return (false);
}

static int
parse_target(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *port;
	if (arg[0] == '[') {
		const char *close_br = strchr(arg, ']');
		if (close_br == NULL || close_br[1] != ':'
		    || (size_t)(close_br - arg - 1) >= sizeof(host)) {
			return (-1);
		}
		memcpy(host, arg + 1, (size_t)(close_br - arg - 1));
		host[close_br - arg - 1] = '\0';
		port = close_br + 2;
	} else {
		const char *colon = strrchr(arg, ':');
		if (colon == NULL || (size_t)(colon - arg) >= sizeof(host)) {
			return (-1);
		}
		memcpy(host, arg, (size_t)(colon - arg));
		host[colon - arg] = '\0';
		port = colon + 1;
	}
	struct addrinfo hints
	    = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/* wait_until_us: reads answers until the monotonic time t (microseconds). */
static void
wait_until_us(storm *s, uint64_t t, bool use_udp, bool use_tcp)
{
	struct pollfd pf[MAX_SOURCES * 2];
	for (;;) {
		uint64_t now = td_mono_us();
		if (now >= t) {
			break;
		}
		int n = 0;
		for (int i = 0; i < s->sources; i++) {
			if (use_udp && s->udp[i] >= 0) {
				pf[n++] = (struct pollfd) { .fd = s->udp[i], .events = POLLIN };
			}
			if (use_tcp && s->tcp[i].fd >= 0) {
				pf[n++] = (struct pollfd) { .fd = s->tcp[i].fd, .events = POLLIN };
			}
		}
		uint64_t left_ms = (t - now + 999) / 1000;
		int r = poll(pf, (nfds_t)n, (int)(left_ms > 1000 ? 1000 : left_ms));
		if (r > 0) {
			if (use_udp) {
				udp_drain(s);
			}
			if (use_tcp) {
				tcp_drain(s);
			}
		}
	}
}

static void
usage(void)
{
	fputs("usage: sip-storm --target HOST:PORT [--transport udp|tcp|both] [--count N]\n"
	      "                 [--rate PER_S] [--sources K] [--corpus DIR] [--seed S]\n"
	      "                 [--wait MS] [--tcp-reuse M] [--verbose]\n",
	    stderr);
}

static long
num_arg(const char *s, long lo, long hi, const char *what)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "sip-storm: %s must be a number from %ld to %ld, not '%s'\n", what,
		    lo, hi, s);
		exit(2);
	}
	return (v);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "target", required_argument, NULL, 'T' },
		{ "transport", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' }, { "rate", required_argument, NULL, 'r' },
		{ "sources", required_argument, NULL, 's' },
		{ "corpus", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' }, { "wait", required_argument, NULL, 'w' },
		{ "tcp-reuse", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	static storm s;
	const char *target = NULL, *transport = "udp", *corpus_dir = "tests/data/sip-torture";
	long count = 1000, rate = 500, wait_ms = 1000;
	uint64_t seed = 0;
	bool have_seed = false;
	s.sources = 4;
	s.tcp_reuse = 20;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'T': target = optarg; break;
		case 't': transport = optarg; break;
		case 'n': count = num_arg(optarg, 1, MAX_COUNT, "--count"); break;
		case 'r': rate = num_arg(optarg, 1, MAX_RATE, "--rate"); break;
		case 's': s.sources = (int)num_arg(optarg, 1, MAX_SOURCES, "--sources"); break;
		case 'c': corpus_dir = optarg; break;
		case 'S':
			seed = (uint64_t)num_arg(optarg, 0, 0x7fffffffffffffffL, "--seed");
			have_seed = true;
			break;
		case 'w': wait_ms = num_arg(optarg, 0, 600000, "--wait"); break;
		case 'R': s.tcp_reuse = (int)num_arg(optarg, 1, 1000000, "--tcp-reuse"); break;
		case 'v': s.verbose = true; break;
		case 'h': usage(); return (0);
		default: usage(); return (2);
		}
	}
	bool use_udp = strcmp(transport, "udp") == 0 || strcmp(transport, "both") == 0;
	bool use_tcp = strcmp(transport, "tcp") == 0 || strcmp(transport, "both") == 0;
	if (target == NULL || optind != argc || (!use_udp && !use_tcp)) {
		usage();
		return (2);
	}
	if (parse_target(target, &s.target, &s.target_len) != 0) {
		fprintf(
		    stderr, "sip-storm: bad target '%s' (want IP:PORT or [IPv6]:PORT)\n", target);
		return (2);
	}
	if (!have_seed) {
		seed = (uint64_t)td_wall_us() ^ ((uint64_t)getpid() << 32);
	}
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;

	/* the corpus: verbatim files first, then seeds to mutate */
	corpus verbatim = { 0 }, seeds = { 0 };
	char dir[4096];
	int bad = 0;
	snprintf(dir, sizeof(dir), "%s/invalid", corpus_dir);
	bad |= corpus_add_dir(&verbatim, dir);
	snprintf(dir, sizeof(dir), "%s/extra", corpus_dir);
	bad |= corpus_add_dir(&verbatim, dir);
	snprintf(dir, sizeof(dir), "%s/valid", corpus_dir);
	bad |= corpus_add_dir(&seeds, dir);
	if (bad != 0 || seeds.n == 0) {
		fprintf(stderr,
		    "sip-storm: cannot read the corpus in %s (need valid/, and invalid/ or "
		    "extra/)\n",
		    corpus_dir);
		return (2);
	}

	for (int i = 0; i < s.sources; i++) {
		s.udp[i] = -1;
		s.tcp[i].fd = -1;
		if (use_udp) {
			s.udp[i] = socket(s.target.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (s.udp[i] < 0
			    || connect(s.udp[i], (struct sockaddr *)&s.target, s.target_len) != 0) {
				fprintf(stderr, "sip-storm: UDP socket: %s\n", strerror(errno));
				return (1);
			}
		}
	}

	bytes m = { 0 };
	uint64_t interval = 1000000u / (uint64_t)rate;
	uint64_t start = td_mono_us(), next = start;
	for (long i = 0; i < count; i++) {
		int kind;
		const char *name = "";
		bool tcp_turn = use_tcp && (!use_udp || (i & 1));
		if ((size_t)i < verbatim.n) {
			bytes_set(&m, verbatim.msgs[i].p, verbatim.msgs[i].len);
			kind = K_FILE;
			name = verbatim.names[i];
		} else {
			size_t k = rnd_below(seeds.n);
			bytes_set(&m, seeds.msgs[k].p, seeds.msgs[k].len);
			name = seeds.names[k];
			kind = mutate(&m, tcp_turn ? TCP_MAX : UDP_MAX);
		}
		int src = (int)(i % s.sources);
		if (!tcp_turn && m.len > UDP_MAX) {
			m.len = UDP_MAX;
		}
		bool ok = tcp_turn ? send_tcp(&s, src, &m) : send_udp(&s, src, &m);
		s.kinds[kind]++;
		if (ok) {
			s.sent++;
			s.bytes_sent += m.len;
			if (tcp_turn) {
				s.sent_tcp++;
			} else {
				s.sent_udp++;
			}
		} else {
			s.send_errors++;
		}
		if (s.verbose) {
			fprintf(stderr, "%ld %s %s %s %zu bytes%s\n", i + 1,
			    tcp_turn ? "tcp" : "udp", kind_names[kind], name, m.len,
			    ok ? "" : " (send failed)");
		}
		next += interval;
		wait_until_us(&s, next, use_udp, use_tcp);
	}
	wait_until_us(&s, td_mono_us() + (uint64_t)wait_ms * 1000u, use_udp, use_tcp);
	double secs = (double)(td_mono_us() - start) / 1e6;

	printf(
	    "sent=%ld udp=%ld tcp=%ld bytes=%llu send_errors=%ld tcp_connects=%ld tcp_closed=%ld "
	    "responses=%ld 1xx=%ld 2xx=%ld 3xx=%ld 4xx=%ld 5xx=%ld 6xx=%ld other=%ld seconds=%.1f "
	    "seed=%llu\n",
	    s.sent, s.sent_udp, s.sent_tcp, s.bytes_sent, s.send_errors, s.tcp_connects,
	    s.tcp_closed, s.responses, s.classes[1], s.classes[2], s.classes[3], s.classes[4],
	    s.classes[5], s.classes[6], s.other, secs, (unsigned long long)seed);
	printf("codes:");
	for (int code = 100; code < 700; code++) {
		if (s.codes[code] > 0) {
			printf(" %d=%ld", code, s.codes[code]);
		}
	}
	printf("\nkinds:");
	for (int k = 0; k < K__COUNT; k++) {
		printf(" %s=%ld", kind_names[k], s.kinds[k]);
	}
	printf("\n");

	for (int i = 0; i < s.sources; i++) {
		if (s.udp[i] >= 0) {
			close(s.udp[i]);
		}
		tcp_close(&s, &s.tcp[i], false);
		free(s.tcp[i].rx.p);
	}
	for (size_t i = 0; i < verbatim.n; i++) {
		free(verbatim.msgs[i].p);
		free(verbatim.names[i]);
	}
	for (size_t i = 0; i < seeds.n; i++) {
		free(seeds.msgs[i].p);
		free(seeds.names[i]);
	}
	free(verbatim.msgs);
	free(verbatim.names);
	free(seeds.msgs);
	free(seeds.names);
	free(m.p);
	return (s.sent > 0 ? 0 : 1);
}
