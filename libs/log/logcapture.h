/* SPDX-License-Identifier: MIT */
/*
 * Capturing the log in tests: while a capture runs, everything logged goes
 * to a memory file that the test reads back, to check that a failure was
 * logged (once, with the right id) rather than only that it was survived.
 * Use as cmocka group setup/teardown, or around one test.
 */
#ifndef TD_LOG_LOGCAPTURE_H
#define TD_LOG_LOGCAPTURE_H

/* td_logcap_start sends the log (logfmt, info and up) of program name to memory; 0 or -1. */
int td_logcap_start(const char *name);
/* td_logcap_stop sends the log back to stderr and drops what was captured. */
void td_logcap_stop(void);
/* td_logcap_count: how often needle occurs in what was logged so far (its first 64 KB). */
int td_logcap_count(const char *needle);

#endif
