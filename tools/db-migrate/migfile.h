/* SPDX-License-Identifier: MIT */
/*
 * Migration files: naming (NNNN_name.sql), listing a directory in version
 * order, refusing bad names and duplicate versions, SHA-256 checksums, and
 * mapping a server error position back to a line of the file.
 *
 * Pure apart from migfile_read/migfile_scan, which read files.  No database.
 */
#ifndef DB_MIGRATE_MIGFILE_H
#define DB_MIGRATE_MIGFILE_H

#include <stddef.h>

#include "util/err.h"

#define MIGFILE_NAME_MAX 64 /* the "name" part of NNNN_name.sql */
#define MIGFILE_MAX_BYTES (16u << 20) /* larger files are refused */
#define MIGFILE_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct migfile {
	int version; /* NNNN, 1..9999 */
	char *name; /* "cdr" for 0008_cdr.sql (owned) */
	char *filename; /* "0008_cdr.sql" (owned) */
	char *path; /* "<dir>/0008_cdr.sql" (owned) */
	char sha256[MIGFILE_SHA256_HEX]; /* hex SHA-256 of the file's bytes */
} migfile;

typedef struct migfile_set {
	migfile *v; /* owned; sorted by version after migfile_sort_check */
	size_t n;
} migfile_set;

/*
 * migfile_parse_name classifies one directory entry name.
 *   TD_OK        a migration: *version and name (NUL-terminated) are set;
 *   TD_ENOTFOUND not a migration candidate (hidden, or not ending in .sql,
 *                e.g. README.md or an editor's 0001_x.sql~): ignore it;
 *   TD_EINVAL    ends in .sql (any case) but is not NNNN_name.sql with
 *                NNNN in 0001..9999 and name [a-z0-9_]{1,64}: refuse it, a
 *                misnamed migration must not be skipped silently.
 * namelen must be at least MIGFILE_NAME_MAX + 1.
 */
int migfile_parse_name(const char *filename, int *version, char *name, size_t namelen) TD_MUSTCHECK;

/* migfile_sha256_hex writes the hex SHA-256 of data into out. */
int migfile_sha256_hex(const void *data, size_t len, char out[MIGFILE_SHA256_HEX]) TD_MUSTCHECK;

/*
 * migfile_read reads a whole file into *data (NUL-terminated, free() it)
 * and *len.  Refuses files over MIGFILE_MAX_BYTES (TD_ETOOBIG) and files
 * holding a NUL byte (TD_EINVAL: libpq sends SQL as a C string).  On
 * failure err says why, naming the path.
 */
int migfile_read(const char *path, char **data, size_t *len, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * migfile_sort_check sorts s by version and fails (TD_EEXIST, err names
 * both files) if two files share a version.
 */
int migfile_sort_check(migfile_set *s, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * migfile_scan lists dir: every regular file that migfile_parse_name
 * accepts, read and checksummed, sorted by version.  Fails on an
 * unreadable directory or file, a bad name or a duplicate version, with
 * err naming the file.  On success the caller owns *out
 * (migfile_set_free); on failure *out is empty.
 */
int migfile_scan(const char *dir, migfile_set *out, char *err, size_t errlen) TD_MUSTCHECK;

/* migfile_add appends a file entry (copies the strings); for scan and tests. */
void migfile_add(migfile_set *s, int version, const char *name, const char *filename,
    const char *path, const char *sha256);

void migfile_set_free(migfile_set *s);

/*
 * migfile_locate turns a PostgreSQL error position (PG_DIAG_STATEMENT_POSITION:
 * 1-based, counted in characters of the UTF-8 query text) into a 1-based
 * line and column, and the [start, start+len) slice of that line in data.
 * Returns TD_EINVAL if pos is outside the text.
 */
int migfile_locate(const char *data, size_t len, long pos, int *line, int *col, size_t *line_start,
    size_t *line_len) TD_MUSTCHECK;

#endif
