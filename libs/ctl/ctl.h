/* SPDX-License-Identifier: MIT */
/*
 * The control protocol every daemon answers: tandem.CtlRequest in,
 * tandem.CtlReply out, over nng req/rep (see bus/rpc.h).  Commands are
 * registered in a table with usage and help text; "help" lists them.
 *
 * A handler returns a JSON document (any type) in *out, or a negative
 * td_err and a one-line reason in err.  Handlers run on nng worker threads
 * and must be thread-safe.
 */
#ifndef TD_CTL_CTL_H
#define TD_CTL_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"

typedef int (*td_ctl_fn)(void *arg, int argc, char **argv, json_t **out, char *err,
    size_t errlen);

typedef struct td_ctl_cmd {
	const char *name;  /* "stats" */
	const char *usage; /* "[level]"; "" if no arguments */
	const char *help;  /* one line */
	td_ctl_fn fn;
	void *arg;
} td_ctl_cmd;

typedef struct td_ctl_server td_ctl_server;

int td_ctl_server_start(td_ctl_server **out, const char *url, char *err, size_t errlen)
    TD_MUSTCHECK;
/* td_ctl_register adds cmd (copied).  A later registration of a name wins. */
void td_ctl_register(td_ctl_server *s, const td_ctl_cmd *cmd);
void td_ctl_server_stop(td_ctl_server *s);

/*
 * td_ctl_dispatch runs one encoded request against the table and encodes
 * the reply into *reply (exposed for tests and in-process use).
 */
void td_ctl_dispatch(td_ctl_server *s, const uint8_t *req, size_t len, td_buf *reply);

/*
 * td_ctl_call is the CLI side: send command + args to url, wait up to
 * timeout_ms.  On success *out is the reply document (caller decrefs).  On
 * failure err says why (daemon not running, command failed, ...).
 */
int td_ctl_call(const char *url, const char *command, int argc, char **argv, int timeout_ms,
    json_t **out, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * td_ctl_print writes a reply for humans: objects as aligned "key: value"
 * lines (nested objects indented), arrays of objects as tables (columns
 * from the first row, "-" for missing cells), a lone {"text": "..."} as
 * the raw text, ending in a newline.  With json=true, pretty JSON.
 */
void td_ctl_print(FILE *f, const json_t *doc, bool json);

#endif
