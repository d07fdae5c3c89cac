/* SPDX-License-Identifier: MIT */
/*
 * A fixed-size pool of PostgreSQL connections (td_pg) for request handlers
 * running on many threads.  A borrowed connection belongs to the borrower
 * until it is returned; connections are opened lazily by td_pg_ensure.
 */
#ifndef TD_PG_POOL_H
#define TD_PG_POOL_H

#include "pg/pg.h"

typedef struct td_pg_pool td_pg_pool;

td_pg_pool *td_pg_pool_new(const td_pg_opts *opts, int size);
void td_pg_pool_free(td_pg_pool *p); /* every connection must be back */

/*
 * td_pg_pool_get borrows a connection, waiting up to timeout_ms for one to
 * be free.  NULL on timeout.  The connection may be down: call
 * td_pg_ensure before use.
 */
td_pg *td_pg_pool_get(td_pg_pool *p, int timeout_ms);
void td_pg_pool_put(td_pg_pool *p, td_pg *c);

#endif
