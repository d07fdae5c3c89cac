/* SPDX-License-Identifier: MIT */
/* Migration file naming, listing, checksums and error positions (see migfile.h). */
#include "migfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

int
migfile_parse_name(const char *filename, int *version, char *name, size_t namelen)
{
	size_t n = strlen(filename);
	if (filename[0] == '.' || n < 4 || strcasecmp(filename + n - 4, ".sql") != 0) {
		return (TD_ENOTFOUND);
	}
	/* NNNN_ + at least one name character + .sql */
	if (n < 4 + 1 + 1 + 4 || strcmp(filename + n - 4, ".sql") != 0 || filename[4] != '_') {
		return (TD_EINVAL);
	}
	int v = 0;
	for (int i = 0; i < 4; i++) {
		if (filename[i] < '0' || filename[i] > '9') {
			return (TD_EINVAL);
		}
		v = v * 10 + (filename[i] - '0');
	}
	if (v == 0) {
		return (TD_EINVAL);
	}
	const char *nm = filename + 5;
	size_t nmlen = n - 5 - 4;
	if (nmlen > MIGFILE_NAME_MAX || nmlen + 1 > namelen) {
		return (TD_EINVAL);
	}
	for (size_t i = 0; i < nmlen; i++) {
		char c = nm[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			return (TD_EINVAL);
		}
	}
	memcpy(name, nm, nmlen);
	name[nmlen] = '\0';
	*version = v;
	return (TD_OK);
}

int
migfile_sha256_hex(const void *data, size_t len, char out[MIGFILE_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		out[0] = '\0';
		return (TD_EIO);
	}
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * mdlen] = '\0';
	return (TD_OK);
}

int
migfile_read(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return (TD_EIO);
	}
	int rv = TD_OK;
	char *buf = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		rv = TD_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rv = TD_EINVAL;
		goto out;
	}
	if ((unsigned long long)st.st_size > MIGFILE_MAX_BYTES) {
		snprintf(err, errlen, "%s: %lld bytes, more than the %u allowed", path,
		    (long long)st.st_size, MIGFILE_MAX_BYTES);
		rv = TD_ETOOBIG;
		goto out;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	buf = td_xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			/* The file grew since fstat; allow it up to the cap. */
			if (cap > MIGFILE_MAX_BYTES) {
				snprintf(err, errlen, "%s: more than the %u bytes allowed", path,
				    MIGFILE_MAX_BYTES);
				rv = TD_ETOOBIG;
				goto out;
			}
			cap *= 2;
			buf = td_xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s: read failed: %s", path, strerror(errno));
			rv = TD_EIO;
			goto out;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte at offset %zu; SQL text cannot",
		    path, (size_t)((char *)memchr(buf, '\0', n) - buf));
		rv = TD_EINVAL;
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return (rv);
}

void
migfile_add(migfile_set *s, int version, const char *name, const char *filename, const char *path,
    const char *sha256)
{
	s->v = td_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	migfile *f = &s->v[s->n++];
	memset(f, 0, sizeof(*f));
	f->version = version;
	f->name = td_xstrdup(name);
	f->filename = td_xstrdup(filename);
	f->path = td_xstrdup(path);
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256 ? sha256 : "");
}

void
migfile_set_free(migfile_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].filename);
		free(s->v[i].path);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
cmp_version(const void *a, const void *b)
{
	const migfile *x = a, *y = b;
	if (x->version != y->version) {
		return (x->version < y->version ? -1 : 1);
	}
	/* Same version: order by file name so the error message is stable. */
	return (strcmp(x->filename, y->filename));
}

int
migfile_sort_check(migfile_set *s, char *err, size_t errlen)
{
	if (s->n > 1) {
		qsort(s->v, s->n, sizeof(*s->v), cmp_version);
	}
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].version == s->v[i - 1].version) {
			snprintf(err, errlen, "duplicate migration version %04d: %s and %s",
			    s->v[i].version, s->v[i - 1].filename, s->v[i].filename);
			return (TD_EEXIST);
		}
	}
	return (TD_OK);
}

int
migfile_scan(const char *dir, migfile_set *out, char *err, size_t errlen)
{
	out->v = NULL;
	out->n = 0;
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(
		    err, errlen, "%s: cannot open migrations directory: %s", dir, strerror(errno));
		return (TD_EIO);
	}
	int rv = TD_OK;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		char name[MIGFILE_NAME_MAX + 1];
		int version = 0;
		int pr = migfile_parse_name(de->d_name, &version, name, sizeof(name));
		if (pr == TD_ENOTFOUND) {
			continue;
		}
		size_t plen = strlen(dir) + 1 + strlen(de->d_name) + 1;
		char *path = td_xmalloc(plen);
		snprintf(path, plen, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(path);
			continue;
		}
		if (pr != TD_OK) {
			snprintf(err, errlen,
			    "%s: bad migration file name (want NNNN_name.sql: NNNN 0001..9999, "
			    "name of a-z 0-9 _, at most %d characters)",
			    path, MIGFILE_NAME_MAX);
			free(path);
			rv = TD_EINVAL;
			goto fail;
		}
		char *data = NULL;
		size_t len = 0;
		rv = migfile_read(path, &data, &len, err, errlen);
		if (rv != TD_OK) {
			free(path);
			goto fail;
		}
		char sum[MIGFILE_SHA256_HEX];
		rv = migfile_sha256_hex(data, len, sum);
		free(data);
		if (rv != TD_OK) {
			snprintf(err, errlen, "%s: SHA-256 failed", path);
			free(path);
			goto fail;
		}
		migfile_add(out, version, name, de->d_name, path, sum);
		free(path);
		errno = 0;
	}
	if (errno != 0) {
		snprintf(
		    err, errlen, "%s: cannot list migrations directory: %s", dir, strerror(errno));
		rv = TD_EIO;
		goto fail;
	}
	rv = migfile_sort_check(out, err, errlen);
	if (rv != TD_OK) {
		goto fail;
	}
	closedir(d);
	return (TD_OK);
fail:
	closedir(d);
	migfile_set_free(out);
	return (rv);
}

int
migfile_locate(const char *data, size_t len, long pos, int *line, int *col, size_t *line_start,
    size_t *line_len)
{
	if (pos < 1) {
		return (TD_EINVAL);
	}
	long chars = 0;
	int ln = 1, cl = 0;
	size_t ls = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if ((c & 0xc0) == 0x80) {
			continue; /* UTF-8 continuation byte: same character */
		}
		chars++;
		cl++;
		if (chars == pos) {
			size_t e = i;
			while (e < len && data[e] != '\n') {
				e++;
			}
			*line = ln;
			*col = cl;
			*line_start = ls;
			*line_len = e - ls;
			return (TD_OK);
		}
		if (c == '\n') {
			ln++;
			cl = 0;
			ls = i + 1;
		}
	}
	if (pos == chars + 1) {
		/* "at end of input": just past the last character. */
		*line = ln;
		*col = cl + 1;
		*line_start = ls;
		*line_len = len - ls;
		return (TD_OK);
	}
	return (TD_EINVAL);
}
