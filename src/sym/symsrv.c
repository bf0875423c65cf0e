/* SPDX-License-Identifier: MIT */
/*
 * Symbol paths as dbghelp writes them, and the lookup of one PDB along
 * such a path: plain folders, symbol stores (local, two-tier, file.ptr),
 * downstream caches, and HTTP(S) stores through libcurl when built with
 * HVS_WITH_CURL.  Rules, sources and limits: docs/symbols.md.
 *
 * Sources for the syntax: Microsoft's "Advanced SymSrv Use" and "Using a
 * Symbol Server" pages (srv*, symsrv*symsrv.dll*, several downstream
 * stores separated by '*', an empty one meaning the default downstream
 * store) and the "Symbol path" page (cache*, ';'-separated elements).
 * The store key (GUID upper-case hex + age in hex) is symstore's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HVS_WITH_CURL
#  include <curl/curl.h>
#endif

#include "sym/symsrv.h"
#include "util/platform.h"
#include "util/util.h"

/* Longest path this file builds; longer ones are refused, not truncated. */
#define SP_PATH_MAX 4096
/* file.ptr is one short line; anything bigger is not one. */
#define SP_PTR_MAX 4096
/* Largest download accepted (a full kernel PDB is tens of MiB). */
#define SP_DOWNLOAD_MAX (2ull << 30)

/* ------------------------------------------------------------ parsing */

/* Case-insensitive ASCII comparison of @n bytes. */
static int ieq(const char *a, const char *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Copy [s, s + n) into a new string. */
static char *dupn(const hvs__alloc *a, const char *s, size_t n)
{
	char *d = hvs__malloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Release what one element owns. */
static void elem_free(hvs__sp_elem *el, const hvs__alloc *a)
{
	size_t i;
	hvs__free(a, el->dir);
	for (i = 0; i < el->nstores; i++)
		hvs__free(a, el->stores[i]);
	hvs__free(a, el->stores);
}

/* Release a parsed path (also a partly parsed one). */
void hvs__sympath_free(hvs__sympath *p, const hvs__alloc *a)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		elem_free(&p->v[i], a);
	hvs__free(a, p->v);
	p->v = NULL;
	p->n = 0;
}

/*
 * Split the '*'-separated fields of @s (length @n) after a keyword into
 * el->stores.  Empty fields are kept ("" = default downstream store).
 */
static hvs_status split_stores(hvs__sp_elem *el, const char *s, size_t n,
			       const hvs__alloc *a)
{
	size_t i, start = 0, cnt = 1, k = 0;
	for (i = 0; i < n; i++)
		cnt += s[i] == '*';
	el->stores = hvs__calloc(a, cnt, sizeof *el->stores);
	if (!el->stores)
		return HVS_E_NOMEM;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '*') {
			el->stores[k] = dupn(a, s + start, i - start);
			if (!el->stores[k])
				return HVS_E_NOMEM;
			el->nstores = ++k;
			start = i + 1;
		}
	}
	return HVS_OK;
}

/*
 * Parse one trimmed, non-empty element [s, s + n).  The keyword decides:
 * `srv*` and `symsrv*symsrv.dll*` start a store chain, `cache` (alone or
 * followed by '*') a cache; anything else is a folder, even with a '*' in
 * it (a folder name may contain one).
 */
static hvs_status parse_elem(hvs__sp_elem *el, const char *s, size_t n,
			     const hvs__alloc *a, hvs__err *e)
{
	const char *rest = NULL;
	size_t rn = 0;
	memset(el, 0, sizeof *el);
	if (n >= 4 && ieq(s, "srv*", 4)) {
		rest = s + 4;
		rn = n - 4;
	} else if (n >= 7 && ieq(s, "symsrv*", 7)) {
		/* symsrv*DLL*stores...: only symsrv.dll's protocol is known. */
		const char *star = memchr(s + 7, '*', n - 7);
		size_t dl = star ? (size_t)(star - (s + 7)) : n - 7;
		if (!(dl == 10 && ieq(s + 7, "symsrv.dll", 10)))
			return hvs__err_set(e, HVS_E_UNSUPPORTED,
					    "symbol path element '%.*s': symbol server DLL '%.*s' "
					    "is not supported (only symsrv.dll)",
					    (int)n, s, (int)dl, s + 7);
		if (!star)
			return hvs__err_set(e, HVS_E_INVALID,
					    "symbol path element '%.*s': no store after the DLL",
					    (int)n, s);
		rest = star + 1;
		rn = n - (size_t)(rest - s);
	} else if (n >= 5 && ieq(s, "cache", 5) && (n == 5 || s[5] == '*')) {
		el->kind = HVS__SP_CACHE;
		el->dir = n > 6 ? dupn(a, s + 6, n - 6) : dupn(a, "", 0);
		return el->dir ? HVS_OK : HVS_E_NOMEM;
	} else {
		el->kind = HVS__SP_DIR;
		el->dir = dupn(a, s, n);
		return el->dir ? HVS_OK : HVS_E_NOMEM;
	}
	el->kind = HVS__SP_SRV;
	HVS_TRY(split_stores(el, rest, rn, a));
	/* The last field is the upstream store and cannot be empty
	 * ("srv*" or "srv*cache*" names no store). */
	if (el->stores[el->nstores - 1][0] == '\0')
		return hvs__err_set(e, HVS_E_INVALID,
				    "symbol path element '%.*s': no symbol store after '*'",
				    (int)n, s);
	return HVS_OK;
}

/*
 * Split at ';' and parse each element.  On failure nothing is kept: a
 * half-understood path would search places the user did not mean.
 */
hvs_status hvs__sympath_parse(hvs__sympath *out, const char *path,
			      const hvs__alloc *a, hvs__err *e)
{
	size_t cap = 0, i = 0;
	hvs_status st;
	out->v = NULL;
	out->n = 0;
	if (!path)
		return HVS_OK;
	while (path[i]) {
		size_t start = i, end;
		while (path[i] && path[i] != ';')
			i++;
		end = i;
		if (path[i] == ';')
			i++;
		/* Trim blanks: "a ; srv*b" is written by hand often enough. */
		while (start < end && (path[start] == ' ' || path[start] == '\t'))
			start++;
		while (end > start && (path[end - 1] == ' ' || path[end - 1] == '\t'))
			end--;
		if (start == end)
			continue;
		st = hvs__grow(a, (void **)&out->v, &cap, out->n + 1, sizeof *out->v);
		if (st != HVS_OK)
			goto fail;
		st = parse_elem(&out->v[out->n], path + start, end - start, a, e);
		out->n++; /* counted even on failure so the free below sees it */
		if (st != HVS_OK)
			goto fail;
	}
	return HVS_OK;
fail:
	if (st == HVS_E_NOMEM)
		hvs__err_set(e, st, "symbol path: out of memory");
	hvs__sympath_free(out, a);
	return st;
}

/* ----------------------------------------------------------- the key */

/* The store directory name of a PDB (symstore's key). */
void hvs__symsrv_key(char *buf, const uint8_t guid[16], uint32_t age)
{
	/* Data1, Data2 and Data3 are little-endian numbers printed as such;
	 * Data4 is 8 bytes printed in order. */
	snprintf(buf, 41, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
		 (unsigned)hvs__le32(guid), (unsigned)hvs__le16(guid + 4),
		 (unsigned)hvs__le16(guid + 6), guid[8], guid[9], guid[10], guid[11],
		 guid[12], guid[13], guid[14], guid[15], (unsigned)age);
}

/* ---------------------------------------------------- file utilities */

/* A lookup in progress. */
typedef struct finder {
	const hvs__symsrv_req *req;
	const hvs__alloc *a;
	char key[48];
	char lower[256];         /* pdb_name in lower case */
	const char *cache;       /* active cache* folder, or NULL */
	char *found;             /* result */
	int tried;               /* candidates refused or places looked at */
} finder;

/* One line to the caller's message callback, if any. */
static void say(const finder *f, const char *fmt, ...) HVS__PRINTF(2, 3);
static void say(const finder *f, const char *fmt, ...)
{
	char line[HVS_ERRMSG_MAX + 256];
	va_list ap;
	if (!f->req->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	f->req->msg(f->req->msg_ud, line);
}

/* Join parts with '/' into @buf; 0 on success, -1 when too long. */
static int join(char *buf, size_t size, const char *a1, const char *a2,
		const char *a3, const char *a4)
{
	const char *parts[4];
	size_t pos = 0, i;
	parts[0] = a1, parts[1] = a2, parts[2] = a3, parts[3] = a4;
	buf[0] = '\0';
	for (i = 0; i < 4 && parts[i]; i++) {
		size_t n = strlen(parts[i]);
		int sep = pos && buf[pos - 1] != '/' && buf[pos - 1] != '\\';
		if (pos + (size_t)sep + n + 1 > size)
			return -1;
		if (sep)
			buf[pos++] = '/';
		memcpy(buf + pos, parts[i], n);
		pos += n;
		buf[pos] = '\0';
	}
	return 0;
}

/* Whether @path can be opened for reading (a file, not a folder, in practice). */
static int is_file(const char *path)
{
	FILE *fp = hvs__fopen(path, "rb");
	if (!fp)
		return 0;
	fclose(fp);
	return 1;
}

/* Whether a store is an HTTP(S) URL rather than a folder. */
static int is_url(const char *s)
{
	return ieq(s, "http://", 7) || (strlen(s) >= 8 && ieq(s, "https://", 8));
}

/*
 * Copy @src to @dest atomically (a temporary file beside it, renamed; the
 * folders are created first); 0 or an OS error code.
 */
static int copy_file(const char *src, const char *dest)
{
	hvs__alloc al;
	unsigned char buf[65536];
	char *tmp = NULL;
	hvs__fh out;
	uint64_t off = 0;
	FILE *in;
	size_t n;
	int e, e2;
	hvs__alloc_init(&al, NULL);
	e = hvs__mkdir_parents(dest);
	if (e)
		return e;
	in = hvs__fopen(src, "rb");
	if (!in)
		return hvs__os_last_error();
	e = hvs__file_create_temp(&al, dest, ".", ".tmp", &tmp, &out);
	if (e) {
		fclose(in);
		return e;
	}
	while (!e && (n = fread(buf, 1, sizeof buf, in)) > 0) {
		e = hvs__file_pwrite(out, buf, n, off);
		off += n;
	}
	if (!e && ferror(in))
		e = hvs__os_last_error();
	fclose(in);
	e2 = hvs__file_close(out);
	if (!e)
		e = e2;
	/* Replacing is harmless here: a store file is named by its GUID and
	 * age, so whoever wrote it meanwhile wrote the same bytes. */
	if (!e)
		e = hvs__path_rename(tmp, dest, 1);
	if (e)
		hvs__path_remove(tmp);
	hvs__free(&al, tmp);
	return e;
}

/* ---------------------------------------------------- the candidates */

/*
 * Offer @path to the check; on success keep it as the result.  Every
 * refusal is reported with its reason: "not found" after a search is only
 * useful when the user can see which files were looked at and why they
 * did not match.
 */
static hvs_status offer(finder *f, const char *path)
{
	char why[HVS_ERRMSG_MAX];
	hvs_status st;
	if (!is_file(path))
		return HVS_E_NOTFOUND;
	why[0] = '\0';
	st = f->req->check(f->req->check_ud, path, why, sizeof why);
	f->tried++;
	if (st != HVS_OK) {
		say(f, "%s: refused: %s", path, why[0] ? why : hvs_strerror(st));
		return st == HVS_E_NOMEM ? st : HVS_E_NOTFOUND;
	}
	f->found = hvs__strdup(f->a, path);
	if (!f->found)
		return HVS_E_NOMEM;
	say(f, "%s: found", path);
	return HVS_OK;
}

/* Resolve "" to the default downstream store (NULL when there is none). */
static const char *store_dir(const finder *f, const char *s)
{
	if (s[0])
		return s;
	return f->req->default_store && f->req->default_store[0] ? f->req->default_store
								 : NULL;
}

/* The path of the PDB inside local store @dir (one-tier layout). */
static int store_path(const finder *f, char *buf, size_t size, const char *dir,
		      const char *name)
{
	return join(buf, size, dir, name, f->key, name);
}

/* Read a file.ptr and offer what it points to (PATH:) or report MSG:. */
static hvs_status follow_ptr(finder *f, const char *ptr)
{
	char line[SP_PTR_MAX + 1];
	size_t n;
	FILE *fp = hvs__fopen(ptr, "rb");
	if (!fp)
		return HVS_E_NOTFOUND;
	n = fread(line, 1, SP_PTR_MAX, fp);
	fclose(fp);
	line[n] = '\0';
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n > 5 && ieq(line, "PATH:", 5)) {
		hvs_status st;
		say(f, "%s: points to %s", ptr, line + 5);
		st = offer(f, line + 5);
		if (st == HVS_E_NOTFOUND && !f->found)
			say(f, "%s: not found", line + 5);
		return st;
	}
	if (n > 4 && ieq(line, "MSG:", 4))
		say(f, "%s: message from the store: %s", ptr, line + 4);
	else
		say(f, "%s: not a file pointer (neither PATH: nor MSG:)", ptr);
	return HVS_E_NOTFOUND;
}

/*
 * Look in local store @dir: one-tier and two-tier (index2.txt) layouts,
 * the name as written and in lower case, file.ptr, and a note about
 * compressed copies.
 */
static hvs_status look_store(finder *f, const char *dir)
{
	char p[SP_PATH_MAX];
	const char *names[2];
	size_t nn = 1, i;
	int twotier;
	hvs_status st;
	names[0] = f->req->pdb_name;
	if (strcmp(f->lower, f->req->pdb_name) != 0)
		names[nn++] = f->lower;
	if (join(p, sizeof p, dir, "index2.txt", NULL, NULL) != 0)
		return HVS_E_NOTFOUND;
	twotier = is_file(p);
	for (i = 0; i < nn; i++) {
		const char *nm = names[i];
		char sub[SP_PATH_MAX];
		if (twotier) {
			/* Two-tier stores put "na/name.pdb/..." under the first two
			 * characters of the lower-case name (symstore /3). */
			char pre[3];
			pre[0] = f->lower[0];
			pre[1] = f->lower[1] ? f->lower[1] : '\0';
			pre[2] = '\0';
			if (join(sub, sizeof sub, dir, pre, NULL, NULL) != 0)
				return HVS_E_NOTFOUND;
		} else {
			if (join(sub, sizeof sub, dir, NULL, NULL, NULL) != 0)
				return HVS_E_NOTFOUND;
		}
		if (store_path(f, p, sizeof p, sub, nm) != 0) {
			say(f, "%s: path too long", dir);
			return HVS_E_NOTFOUND;
		}
		st = offer(f, p);
		if (st != HVS_E_NOTFOUND)
			return st;
		if (join(p, sizeof p, sub, nm, f->key, "file.ptr") == 0 && is_file(p)) {
			st = follow_ptr(f, p);
			if (st != HVS_E_NOTFOUND)
				return st;
		}
		if (store_path(f, p, sizeof p, sub, nm) == 0) {
			size_t n = strlen(p);
			if (n > 1 && p[n - 1] == 'b') {
				p[n - 1] = '_';
				if (is_file(p))
					say(f, "%s: compressed (CAB) store file, not supported: "
					       "expand it to %.*sb", p, (int)(n - 1), p);
			}
		}
	}
	say(f, "%s: no %s/%s", dir, f->req->pdb_name, f->key);
	return HVS_E_NOTFOUND;
}

/*
 * Copy a found PDB into store @dir (a downstream store or cache), as
 * symsrv does, so that the next lookup is local.  A copy that fails is
 * reported and otherwise ignored: the PDB was found all the same.
 */
static void copy_into(finder *f, const char *dir)
{
	char dest[SP_PATH_MAX], why[256];
	int e;
	if (store_path(f, dest, sizeof dest, dir, f->req->pdb_name) != 0)
		return;
	if (strcmp(dest, f->found) == 0 || is_file(dest))
		return;
	e = copy_file(f->found, dest);
	if (e == 0)
		say(f, "copied to %s", dest);
	else
		say(f, "could not copy to %s: %s", dest, hvs__os_strerror(e, why, sizeof why));
}

/* Adapter: the caller's check used on the temporary download file. */
static hvs_status check_tmp(void *ud, const char *path, char *why, size_t whysize)
{
	const finder *f = ud;
	return f->req->check(f->req->check_ud, path, why, whysize);
}

/*
 * Download from HTTP store @url into local store @dest_dir.  HTTP stores
 * are only read through a local downstream store: the PDB reader maps
 * files, and keeping the download makes the next session offline.
 */
static hvs_status look_http(finder *f, const char *url, const char *dest_dir)
{
	char u[SP_PATH_MAX], dest[SP_PATH_MAX], why[HVS_ERRMSG_MAX];
	hvs_status st;
	if (f->req->no_download) {
		say(f, "%s: downloads are disabled", url);
		return HVS_E_NOTFOUND;
	}
	if (!hvs__symsrv_can_download()) {
		say(f, "%s: this build cannot download (built without libcurl)", url);
		return HVS_E_NOTFOUND;
	}
	if (!dest_dir) {
		say(f, "%s: no downstream store to download into (set a cache: "
		       "srv*DIR*%s, or a default store)", url, url);
		return HVS_E_NOTFOUND;
	}
	if (join(u, sizeof u, url, f->req->pdb_name, f->key, f->req->pdb_name) != 0 ||
	    store_path(f, dest, sizeof dest, dest_dir, f->req->pdb_name) != 0)
		return HVS_E_NOTFOUND;
	why[0] = '\0';
	st = hvs__symsrv_download(u, dest, check_tmp, f, why, sizeof why);
	f->tried++;
	if (st != HVS_OK) {
		say(f, "%s: %s", u, why[0] ? why : hvs_strerror(st));
		return st == HVS_E_NOMEM ? st : HVS_E_NOTFOUND;
	}
	say(f, "%s: downloaded to %s", u, dest);
	f->found = hvs__strdup(f->a, dest);
	return f->found ? HVS_OK : HVS_E_NOMEM;
}

/* srv*S0*S1*...*Sn: look in each store in order; copy a hit into the
 * local stores before it (symsrv's cascading downstream stores). */
static hvs_status look_srv(finder *f, const hvs__sp_elem *el)
{
	size_t i, j;
	hvs_status st = HVS_E_NOTFOUND;
	for (i = 0; i < el->nstores && st == HVS_E_NOTFOUND; i++) {
		const char *s = store_dir(f, el->stores[i]);
		if (!s) {
			say(f, "srv: empty downstream store but no default store set; skipped");
			continue;
		}
		if (is_url(s)) {
			/* Downloads land in the first local store before it, or in
			 * the default store for a bare srv*URL. */
			const char *dest = NULL;
			for (j = 0; j < i && !dest; j++) {
				const char *d = store_dir(f, el->stores[j]);
				if (d && !is_url(d))
					dest = d;
			}
			if (!dest)
				dest = store_dir(f, "");
			st = look_http(f, s, dest);
		} else {
			st = look_store(f, s);
		}
		if (st == HVS_OK) {
			for (j = 0; j < i; j++) {
				const char *d = store_dir(f, el->stores[j]);
				if (d && !is_url(d))
					copy_into(f, d);
			}
		}
	}
	return st;
}

/* A plain folder: the PDB directly in it, or laid out as a store. */
static hvs_status look_dir(finder *f, const char *dir)
{
	char p[SP_PATH_MAX];
	hvs_status st;
	if (join(p, sizeof p, dir, f->req->pdb_name, NULL, NULL) != 0)
		return HVS_E_NOTFOUND;
	st = offer(f, p);
	if (st != HVS_E_NOTFOUND)
		return st;
	if (strcmp(f->lower, f->req->pdb_name) != 0 &&
	    join(p, sizeof p, dir, f->lower, NULL, NULL) == 0) {
		st = offer(f, p);
		if (st != HVS_E_NOTFOUND)
			return st;
	}
	/* Extension over dbghelp: a folder that is a store is searched as
	 * one, so `--symbols DIR` works for both layouts. */
	return look_store(f, dir);
}

/*
 * Walk the path elements in order until one yields a PDB the check
 * accepts, remembering the active cache* folder on the way.
 */
hvs_status hvs__symsrv_find(char **out, const hvs__sympath *path,
			    const hvs__symsrv_req *req, const hvs__alloc *a,
			    hvs__err *e)
{
	finder f;
	size_t i, n;
	hvs_status st = HVS_E_NOTFOUND;
	*out = NULL;
	memset(&f, 0, sizeof f);
	f.req = req;
	f.a = a;
	n = strlen(req->pdb_name);
	if (n == 0 || n >= sizeof f.lower || strchr(req->pdb_name, '/') ||
	    strchr(req->pdb_name, '\\') || strcmp(req->pdb_name, "..") == 0)
		return hvs__err_set(e, HVS_E_INVALID, "PDB name '%s' is not a file name",
				    req->pdb_name);
	for (i = 0; i <= n; i++) {
		char c = req->pdb_name[i];
		f.lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	hvs__symsrv_key(f.key, req->guid, req->age);
	if (path->n == 0)
		say(&f, "symbol path is empty");
	for (i = 0; i < path->n && st == HVS_E_NOTFOUND; i++) {
		const hvs__sp_elem *el = &path->v[i];
		switch (el->kind) {
		case HVS__SP_CACHE:
			f.cache = store_dir(&f, el->dir);
			if (!f.cache) {
				say(&f, "cache*: no folder and no default store set; ignored");
				break;
			}
			st = look_store(&f, f.cache);
			break;
		case HVS__SP_SRV:
			st = look_srv(&f, el);
			break;
		case HVS__SP_DIR:
		default:
			st = look_dir(&f, el->dir);
			break;
		}
		/* cache*DIR keeps copies of what the elements after it find
		 * (the Windows "Symbol path" page). */
		if (st == HVS_OK && f.cache && el->kind != HVS__SP_CACHE)
			copy_into(&f, f.cache);
	}
	if (st == HVS_OK) {
		*out = f.found;
		return HVS_OK;
	}
	hvs__free(a, f.found);
	if (st == HVS_E_NOMEM)
		return hvs__err_set(e, st, "symbol lookup: out of memory");
	return hvs__err_set(e, HVS_E_NOTFOUND,
			    "%s (key %s) not found along the symbol path (%zu element%s, "
			    "%d candidate%s refused)", req->pdb_name, f.key, path->n,
			    path->n == 1 ? "" : "s", f.tried, f.tried == 1 ? "" : "s");
}

/* --------------------------------------------------------- downloads */

/* The user agent symsrv sends; some stores answer only to it. */
#define SP_USER_AGENT "Microsoft-Symbol-Server/10.0.0.0"

/*
 * The transport: one GET of @url into @fh, setting *code to the final HTTP
 * status.  HVS_OK when an answer arrived complete (any status); else
 * HVS_E_IO with a sentence in @why.  libcurl when built with it
 * (HVS_WITH_CURL), otherwise the platform's own client (WinHTTP on
 * Windows; none on POSIX, so hvs__symsrv_can_download() says 0 there).
 */
#ifdef HVS_WITH_CURL

int hvs__symsrv_can_download(void)
{
	return 1;
}

/* The temporary file a download goes to. */
typedef struct dl_file {
	hvs__fh fh;
	uint64_t off;
	int err; /* first write error (OS code) */
} dl_file;

/* curl write callback: append to the temporary file (a short count makes
 * curl stop with CURLE_WRITE_ERROR). */
static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	dl_file *d = ud;
	size_t len = size * n;
	if (d->err)
		return 0;
	d->err = hvs__file_pwrite(d->fh, p, len, d->off);
	if (d->err)
		return 0;
	d->off += len;
	return len;
}

static hvs_status http_get(const char *url, hvs__fh fh, long *code, char *why, size_t whysize)
{
	char cerr[CURL_ERROR_SIZE], os[256];
	CURL *c;
	CURLcode rc;
	dl_file fp;
	memset(&fp, 0, sizeof fp);
	fp.fh = fh;
	*code = 0;
	/* curl_easy_init() initialises libcurl on first use; libcurl 7.84+
	 * does that thread-safely (docs/symbols.md "Downloads"). */
	c = curl_easy_init();
	if (!c) {
		snprintf(why, whysize, "libcurl could not be initialised");
		return HVS_E_NOMEM;
	}
	cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &fp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled server (under 1 KiB/s for 60 s) ends the transfer. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SP_DOWNLOAD_MAX);
	curl_easy_setopt(c, CURLOPT_USERAGENT, SP_USER_AGENT);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	if (fp.err) {
		snprintf(why, whysize, "writing the download: %s",
			 hvs__os_strerror(fp.err, os, sizeof os));
		return HVS_E_IO;
	}
	if (rc != CURLE_OK) {
		/* A body shorter than its Content-Length is CURLE_PARTIAL_FILE. */
		snprintf(why, whysize, "download failed: %s",
			 cerr[0] ? cerr : curl_easy_strerror(rc));
		return HVS_E_IO;
	}
	return HVS_OK;
}

#else /* !HVS_WITH_CURL */

int hvs__symsrv_can_download(void)
{
	return hvs__os_http_available();
}

static hvs_status http_get(const char *url, hvs__fh fh, long *code, char *why, size_t whysize)
{
	char r[HVS_ERRMSG_MAX];
	/* hvs__symsrv_download() calls this only where the OS has a client. */
	int e = hvs__os_http_get(url, SP_USER_AGENT, fh, SP_DOWNLOAD_MAX, code, r, sizeof r);
	if (e) {
		snprintf(why, whysize, "download failed: %s", r);
		return e == HVS__OS_NOMEM ? HVS_E_NOMEM : HVS_E_IO;
	}
	return HVS_OK;
}

#endif /* HVS_WITH_CURL */

/*
 * One GET into a temporary file beside @dest, checked, then renamed: the
 * store never holds a partial or unchecked file, even when the process is
 * killed mid-transfer (only a stray *.tmp can be left then).
 */
hvs_status hvs__symsrv_download(const char *url, const char *dest,
				hvs__symsrv_check_fn check, void *check_ud,
				char *why, size_t whysize)
{
	char os[256];
	char *tmp = NULL;
	hvs__alloc al;
	hvs__fh fh;
	long code = 0;
	hvs_status st;
	int e;
	hvs__alloc_init(&al, NULL);
	if (!hvs__symsrv_can_download()) {
		snprintf(why, whysize, "cannot download %s: built without libcurl", url);
		return HVS_E_UNSUPPORTED;
	}
	e = hvs__mkdir_parents(dest);
	if (e) {
		snprintf(why, whysize, "cannot create the folders of %s: %s", dest,
			 hvs__os_strerror(e, os, sizeof os));
		return HVS_E_IO;
	}
	e = hvs__file_create_temp(&al, dest, ".", ".tmp", &tmp, &fh);
	if (e) {
		snprintf(why, whysize, "cannot create a temporary file beside %s: %s",
			 dest, hvs__os_strerror(e, os, sizeof os));
		return e == HVS__OS_NOMEM ? HVS_E_NOMEM : HVS_E_IO;
	}
	st = http_get(url, fh, &code, why, whysize);
	e = hvs__file_close(fh);
	if (st == HVS_OK && e) {
		snprintf(why, whysize, "writing %s: %s", tmp, hvs__os_strerror(e, os, sizeof os));
		st = HVS_E_IO;
	} else if (st != HVS_OK) {
		/* why set by the transport */
	} else if (code == 404 || code == 410) {
		snprintf(why, whysize, "not on the server (HTTP %ld)", code);
		st = HVS_E_NOTFOUND;
	} else if (code != 200) {
		snprintf(why, whysize, "HTTP status %ld", code);
		st = HVS_E_IO;
	} else if (check) {
		char r[HVS_ERRMSG_MAX];
		r[0] = '\0';
		if (check(check_ud, tmp, r, sizeof r) != HVS_OK) {
			snprintf(why, whysize, "downloaded file refused: %s", r);
			st = HVS_E_CORRUPT;
		}
	}
	if (st == HVS_OK && (e = hvs__path_rename(tmp, dest, 1)) != 0) {
		snprintf(why, whysize, "cannot rename %s to %s: %s", tmp, dest,
			 hvs__os_strerror(e, os, sizeof os));
		st = HVS_E_IO;
	}
	if (st != HVS_OK)
		hvs__path_remove(tmp);
	hvs__free(&al, tmp);
	return st;
}
