/* SPDX-License-Identifier: MIT */
/* Transport addresses and CIDR blocks (see addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sr_addr_parse(sr_addr *a, const char *host, size_t hlen, uint16_t port, sr_proto proto)
{
	char h[INET6_ADDRSTRLEN + 2];
	memset(a, 0, sizeof(*a));
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(h)) {
		return (TD_EINVAL);
	}
	memcpy(h, host, hlen);
	h[hlen] = '\0';
	if (port == 0) {
		port = 5060;
	}
	if (inet_pton(AF_INET, h, &a->u.in.sin_addr) == 1) {
		a->u.in.sin_family = AF_INET;
		a->u.in.sin_port = htons(port);
		a->len = sizeof(a->u.in);
	} else if (inet_pton(AF_INET6, h, &a->u.in6.sin6_addr) == 1) {
		a->u.in6.sin6_family = AF_INET6;
		a->u.in6.sin6_port = htons(port);
		a->len = sizeof(a->u.in6);
	} else {
		return (TD_EINVAL);
	}
	a->proto = (uint8_t)proto;
	return (TD_OK);
}

int
sr_addr_resolve(sr_addr *a, const char *host, uint16_t port, sr_proto proto)
{
	if (sr_addr_parse(a, host, strlen(host), port, proto) == 0) {
		return (TD_OK);
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
		return (TD_ENOTFOUND);
	}
	bool ok = sr_addr_from_sockaddr(a, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (!ok) {
		return (TD_ENOTFOUND);
	}
	sr_addr_set_port(a, port);
	a->proto = (uint8_t)proto;
	return (TD_OK);
}

bool
sr_addr_from_sockaddr(sr_addr *a, const struct sockaddr *sa, socklen_t len)
{
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || len > sizeof(a->u)) {
		return (false);
	}
	memset(a, 0, sizeof(*a));
	memcpy(&a->u, sa, len);
	a->len = len;
	return (true);
}

void
sr_addr_set_port(sr_addr *a, uint16_t port)
{
	if (port == 0) {
		port = 5060;
	}
	if (a->u.sa.sa_family == AF_INET6) {
		a->u.in6.sin6_port = htons(port);
	} else {
		a->u.in.sin_port = htons(port);
	}
}

char *
sr_addr_host(const sr_addr *a, char *out, size_t len)
{
	if (a->u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, out, (socklen_t)len);
	} else {
		inet_ntop(AF_INET, &a->u.in.sin_addr, out, (socklen_t)len);
	}
	return (out);
}

uint16_t
sr_addr_port(const sr_addr *a)
{
	return (ntohs(a->u.sa.sa_family == AF_INET6 ? a->u.in6.sin6_port : a->u.in.sin_port));
}

char *
sr_addr_fmt(const sr_addr *a, char *out, size_t len)
{
	char h[INET6_ADDRSTRLEN];
	sr_addr_host(a, h, sizeof(h));
	if (a->u.sa.sa_family == AF_INET6) {
		snprintf(out, len, "[%s]:%u", h, sr_addr_port(a));
	} else {
		snprintf(out, len, "%s:%u", h, sr_addr_port(a));
	}
	return (out);
}

bool
sr_addr_same_host(const sr_addr *a, const sr_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family) {
		return (false);
	}
	if (a->u.sa.sa_family == AF_INET) {
		return (a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr);
	}
	return (memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0);
}

bool
sr_addr_eq(const sr_addr *a, const sr_addr *b)
{
	return (a->proto == b->proto && sr_addr_same_host(a, b) &&
	        sr_addr_port(a) == sr_addr_port(b));
}

uint32_t
sr_addr_hash(const sr_addr *a)
{
	uint32_t h = 2166136261u;
	const uint8_t *p;
	size_t n;
	if (a->u.sa.sa_family == AF_INET) {
		p = (const uint8_t *)&a->u.in.sin_addr;
		n = 4;
	} else {
		p = (const uint8_t *)&a->u.in6.sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 16777619u;
	}
	uint16_t port = sr_addr_port(a);
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return (h ^ a->proto);
}

const char *
sr_proto_name(sr_proto p)
{
	return (p == SR_TCP ? "TCP" : "UDP");
}

int
sr_cidr_parse(sr_cidr *c, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
	}
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		return (TD_EINVAL);
	}
	if (slash != NULL) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1 || b < 0 || b > c->bits) {
			return (TD_EINVAL);
		}
		c->bits = (int)b;
	}
	return (TD_OK);
}

bool
sr_cidr_match(const sr_cidr *c, const struct sockaddr *sa)
{
	const uint8_t *p;
	if (sa->sa_family != c->family) {
		return (false);
	}
	p = c->family == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
	                         : (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	int bits = c->bits, i = 0;
	for (; bits >= 8; bits -= 8, i++) {
		if (p[i] != c->addr[i]) {
			return (false);
		}
	}
	if (bits > 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));
		return ((p[i] & mask) == (c->addr[i] & mask));
	}
	return (true);
}
