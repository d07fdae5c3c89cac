/* SPDX-License-Identifier: MIT */
/* The log captured in memory, for tests (see logcapture.h). */
#include "log/logcapture.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log/log.h"

#define CAPTURE_MAX 65536

static int g_fd = -1;

int
td_logcap_start(const char *name)
{
	td_logcap_stop();
	g_fd = memfd_create(name, 0);
	if (g_fd < 0) {
		return (-1);
	}
	td_log_set_fd(g_fd);
	td_log_setup(name, "", TD_LOG_LOGFMT);
	td_log_set_level(TD_LOG_INFO);
	return (0);
}

void
td_logcap_stop(void)
{
	if (g_fd >= 0) {
		td_log_set_fd(2);
		close(g_fd);
		g_fd = -1;
	}
}

int
td_logcap_count(const char *needle)
{
	if (g_fd < 0 || needle[0] == '\0') {
		return (0);
	}
	char *buf = malloc(CAPTURE_MAX + 1);
	if (buf == NULL) {
		return (0);
	}
	ssize_t n = pread(g_fd, buf, CAPTURE_MAX, 0);
	buf[n > 0 ? n : 0] = '\0';
	int c = 0;
	for (char *p = buf; (p = strstr(p, needle)) != NULL; p++) {
		c++;
	}
	free(buf);
	return (c);
}
