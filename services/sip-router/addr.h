/* SPDX-License-Identifier: MIT */
/* Transport addresses: a socket address plus the transport it is reached by. */
#ifndef SIP_ROUTER_ADDR_H
#define SIP_ROUTER_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/err.h"

typedef enum sr_proto { SR_UDP = 1, SR_TCP = 2 } sr_proto;

typedef struct sr_addr {
	union { /* no sockaddr_storage: 28 bytes instead of 128, in every context and target */
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
	uint8_t proto; /* sr_proto */
	/*
	 * UDP, a source: 1 + the index of the listening socket it came in on,
	 * so that what we send back leaves from the address the peer sent to
	 * (with several listen addresses, e.g. a node address and the virtual
	 * IP).  0: no such socket (an address from a URI or a Via).
	 */
	uint8_t sock;
} sr_addr;

/*
 * sr_addr_parse reads a numeric host (IPv4, IPv6 with or without brackets)
 * and a port; port 0 means 5060.  No DNS: names go through sr_addr_resolve
 * (start-up, blocking) or dns.c (the workers).
 */
int sr_addr_parse(sr_addr *a, const char *host, size_t hlen, uint16_t port, sr_proto proto)
    TD_MUSTCHECK;
/*
 * sr_addr_from_sockaddr fills a's address from an IPv4 or IPv6 socket
 * address (proto, port and sock cleared); false for another family.
 */
bool sr_addr_from_sockaddr(sr_addr *a, const struct sockaddr *sa, socklen_t len);
/* sr_addr_set_port sets the port of an IPv4 or IPv6 address; 0 means 5060. */
void sr_addr_set_port(sr_addr *a, uint16_t port);
/* sr_addr_resolve: like sr_addr_parse but resolves names (blocking: not on hot paths). */
int sr_addr_resolve(sr_addr *a, const char *host, uint16_t port, sr_proto proto) TD_MUSTCHECK;
/* sr_addr_fmt: "192.0.2.1:5060" or "[2001:db8::1]:5060". */
char *sr_addr_fmt(const sr_addr *a, char *out, size_t len);
/* sr_addr_host: the host part only ("192.0.2.1", "2001:db8::1"). */
char *sr_addr_host(const sr_addr *a, char *out, size_t len);
uint16_t sr_addr_port(const sr_addr *a);
/* sr_addr_eq: same family, address, port and transport. */
bool sr_addr_eq(const sr_addr *a, const sr_addr *b);
/* sr_addr_same_host: same family and address (ports may differ). */
bool sr_addr_same_host(const sr_addr *a, const sr_addr *b);
/* sr_addr_hash: for tables keyed by address (host + port). */
uint32_t sr_addr_hash(const sr_addr *a);
const char *sr_proto_name(sr_proto p); /* "UDP" / "TCP" */

/* A CIDR block, for trusted networks. */
typedef struct sr_cidr {
	int family;
	uint8_t addr[16];
	int bits;
} sr_cidr;

/* sr_cidr_parse: "10.0.0.0/8", "192.0.2.7", "2001:db8::/32". */
int sr_cidr_parse(sr_cidr *c, const char *s) TD_MUSTCHECK;
bool sr_cidr_match(const sr_cidr *c, const struct sockaddr *sa);

#endif
