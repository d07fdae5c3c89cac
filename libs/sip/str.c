/* SPDX-License-Identifier: MIT */
/* Slice helpers. */
#include "sip/str.h"

#include "sip/lex.h"

bool
td_sip_str_caseeq(td_sip_str a, td_sip_str b)
{
	if (a.n != b.n) {
		return (false);
	}
	for (size_t i = 0; i < a.n; i++) {
		if (sip_lower((unsigned char)a.p[i]) != sip_lower((unsigned char)b.p[i])) {
			return (false);
		}
	}
	return (true);
}
