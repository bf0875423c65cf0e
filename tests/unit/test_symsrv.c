/* SPDX-License-Identifier: MIT */
/*
 * Symbol paths and symbol stores (src/sym/symsrv.c): the dbghelp path
 * syntax (table-driven, cases from Microsoft's "Advanced SymSrv Use" and
 * "Symbol path" pages), the store key, local lookups in every layout, the
 * copies into downstream stores and caches, and downloads from a local
 * HTTP server (python3 -m http.server style, started by the test on a
 * free port of 127.0.0.1): success, 404, a truncated body and garbage.
 *
 * The candidate check is a stand-in for the PDB reader: a "PDB" here is
 * a text file "PDB:<key>", accepted when the key is the wanted one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "httpd.h"
#include "sym/symsrv.h"
#include "test.h"

/* ------------------------------------------------------------ parsing */

typedef struct parse_case {
	const char *path;
	hvs_status want;
	size_t n;
	/* Expected elements: "D:dir", "C:dir", "S:store|store|..." */
	const char *elems[4];
} parse_case;

static const parse_case parse_cases[] = {
	{ "", HVS_OK, 0, { NULL } },
	{ " ; ;", HVS_OK, 0, { NULL } },
	{ "C:\\sym;; /a/b ;", HVS_OK, 2, { "D:C:\\sym", "D:/a/b" } },
	/* "Using a Symbol Server": srv*DownstreamStore*SymbolStoreLocation */
	{ "srv*c:\\cache*https://msdl.microsoft.com/download/symbols", HVS_OK, 1,
	  { "S:c:\\cache|https://msdl.microsoft.com/download/symbols" } },
	/* Two asterisks: the default downstream store. */
	{ "SRV**https://x/sym", HVS_OK, 1, { "S:|https://x/sym" } },
	{ "srv*\\\\server\\share", HVS_OK, 1, { "S:\\\\server\\share" } },
	/* Cascading downstream stores. */
	{ "srv*/a*/b*https://x", HVS_OK, 1, { "S:/a|/b|https://x" } },
	{ "symsrv*symsrv.dll*/down*\\\\server\\share", HVS_OK, 1,
	  { "S:/down|\\\\server\\share" } },
	{ "SymSrv*SYMSRV.DLL*https://x", HVS_OK, 1, { "S:https://x" } },
	{ "cache*/tmp/c;srv*https://x", HVS_OK, 2, { "C:/tmp/c", "S:https://x" } },
	{ "cache*;/d", HVS_OK, 2, { "C:", "D:/d" } },
	{ "CACHE", HVS_OK, 1, { "C:" } },
	{ "cachedir;srvdir", HVS_OK, 2, { "D:cachedir", "D:srvdir" } },
	{ "/a;srv*/c*https://x;/b", HVS_OK, 3, { "D:/a", "S:/c|https://x", "D:/b" } },
	{ "symsrv*other.dll*https://x", HVS_E_UNSUPPORTED, 0, { NULL } },
	{ "symsrv*symsrv.dll", HVS_E_INVALID, 0, { NULL } },
	{ "srv*", HVS_E_INVALID, 0, { NULL } },
	{ "/ok;srv*/cache*", HVS_E_INVALID, 0, { NULL } },
};

/* Render an element as the table writes it. */
static void render(char *buf, size_t size, const hvs__sp_elem *el)
{
	size_t i, pos;
	switch (el->kind) {
	case HVS__SP_DIR:
		snprintf(buf, size, "D:%s", el->dir);
		return;
	case HVS__SP_CACHE:
		snprintf(buf, size, "C:%s", el->dir);
		return;
	default:
		pos = (size_t)snprintf(buf, size, "S:");
		for (i = 0; i < el->nstores && pos < size; i++)
			pos += (size_t)snprintf(buf + pos, size - pos, "%s%s", i ? "|" : "",
						el->stores[i]);
		return;
	}
}

static void test_symsrv__parse_table(void)
{
	hvs__alloc a;
	size_t i, j;
	hvs__alloc_init(&a, NULL);
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const parse_case *c = &parse_cases[i];
		hvs__sympath p;
		hvs__err e;
		hvs_status st;
		e.msg[0] = '\0';
		st = hvs__sympath_parse(&p, c->path, &a, &e);
		if (st != c->want) {
			test__fail(__FILE__, __LINE__, "case %zu '%s': status %d, want %d (%s)",
				   i, c->path, (int)st, (int)c->want, e.msg);
			return;
		}
		if (st != HVS_OK) {
			/* The message names the offending element. */
			CHECK(strstr(e.msg, "symbol path element") != NULL);
			continue;
		}
		CHECK_EQ(p.n, c->n);
		for (j = 0; j < p.n; j++) {
			char got[512];
			render(got, sizeof got, &p.v[j]);
			CHECK_STR(got, c->elems[j]);
		}
		hvs__sympath_free(&p, &a);
	}
}

/* Every allocation of the parser may fail without a leak or a crash. */
static void test_symsrv__parse_oom(void)
{
	long k;
	for (k = 1; k < 64; k++) {
		test_failalloc fa;
		hvs__alloc a;
		hvs__sympath p;
		hvs__err e;
		hvs_status st;
		test_failalloc_init(&fa, k);
		hvs__alloc_init(&a, &fa.a);
		st = hvs__sympath_parse(&p, "cache*/c;srv*/a*/b*https://x;/d", &a, &e);
		if (st == HVS_OK) {
			CHECK_EQ(p.n, 3);
			hvs__sympath_free(&p, &a);
			CHECK_EQ(fa.live, 0);
			return;
		}
		CHECK_STATUS(st, HVS_E_NOMEM);
		CHECK_EQ(fa.live, 0);
	}
	CHECK(0);
}

/* ---------------------------------------------------------------- key */

static void test_symsrv__key(void)
{
	/* {648B8DD0-780A-4E22-FA7F-A89B84633C23} as a GUID lies in memory
	 * (Data1-3 little-endian); the key is that GUID in upper case plus
	 * the age in hex (the layout of Microsoft's public symbol server). */
	static const uint8_t g[16] = { 0xD0, 0x8D, 0x8B, 0x64, 0x0A, 0x78, 0x22, 0x4E,
				       0xFA, 0x7F, 0xA8, 0x9B, 0x84, 0x63, 0x3C, 0x23 };
	char k[48];
	hvs__symsrv_key(k, g, 1);
	CHECK_STR(k, "648B8DD0780A4E22FA7FA89B84633C231");
	hvs__symsrv_key(k, g, 0x2A);
	CHECK_STR(k, "648B8DD0780A4E22FA7FA89B84633C232A");
}

/* ------------------------------------------------------------ lookups */

static const uint8_t guid1[16] = { 0x78, 0x56, 0x34, 0x12, 0xCD, 0xAB, 0x01, 0xEF,
				   1, 2, 3, 4, 5, 6, 7, 8 };
#define KEY1 "12345678ABCDEF010102030405060708" "3"
#define KEY_OTHER "12345678ABCDEF010102030405060708" "4"

/* Messages collected from the lookup. */
static char msgs[16384];

static void on_msg(void *ud, const char *m)
{
	size_t n = strlen(msgs);
	(void)ud;
	snprintf(msgs + n, sizeof msgs - n, "%s\n", m);
}

/* The stand-in check: the file must say "PDB:" KEY1. */
static hvs_status fake_check(void *ud, const char *path, char *why, size_t whysize)
{
	char buf[64];
	size_t n;
	FILE *f = fopen(path, "rb");
	(void)ud;
	if (!f) {
		snprintf(why, whysize, "cannot open");
		return HVS_E_IO;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, "PDB:" KEY1) != 0) {
		snprintf(why, whysize, "not the wanted PDB (content '%.20s')", buf);
		return HVS_E_NOTFOUND;
	}
	return HVS_OK;
}

/* A fresh, empty test folder. */
static const char *fresh(const char *name)
{
	static char dir[1024];
	snprintf(dir, sizeof dir, "%s", test_tmp_path(name));
	if (test_rmtree(dir) != 0 || test_mkdirs(dir) != 0)
		return NULL;
	return dir;
}

/* Write @content to root/rel, creating folders. */
static int put(const char *root, const char *rel, const char *content)
{
	char p[2048];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	*strrchr(p, '/') = '\0';
	if (test_mkdirs(p) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/%s", root, rel);
	return test_write_file(p, content, strlen(content));
}

static int exists(const char *root, const char *rel)
{
	char p[2048];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	return test_exists(p);
}

/* Files named *.tmp anywhere under @dir (temporary files left behind). */
static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char sub[2048];
		size_t k = strlen(e->d_name);
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			n += count_tmp(sub);
		else if (k >= 4 && !strcmp(e->d_name + k - 4, ".tmp"))
			n++;
	}
	closedir(d);
	return n;
}

/* Run a lookup for ntkrnlmp.pdb/KEY1 along @path. */
static hvs_status find(const char *path, const char *def_store, char **out)
{
	hvs__alloc a;
	hvs__sympath p;
	hvs__err e;
	hvs__symsrv_req r;
	hvs_status st;
	hvs__alloc_init(&a, NULL);
	msgs[0] = '\0';
	*out = NULL;
	st = hvs__sympath_parse(&p, path, &a, &e);
	if (st != HVS_OK)
		return st;
	memset(&r, 0, sizeof r);
	r.pdb_name = "ntkrnlmp.pdb";
	memcpy(r.guid, guid1, 16);
	r.age = 3;
	r.default_store = def_store;
	r.check = fake_check;
	r.msg = on_msg;
	st = hvs__symsrv_find(out, &p, &r, &a, &e);
	if (st != HVS_OK) {
		size_t n = strlen(msgs);
		snprintf(msgs + n, sizeof msgs - n, "error: %s\n", e.msg);
	}
	hvs__sympath_free(&p, &a);
	return st;
}

static void test_symsrv__local_layouts(void)
{
	char root[1024], path[4096], want[4096];
	char *got;
	const char *d = fresh("symsrv_local");
	CHECK(d != NULL);
	snprintf(root, sizeof root, "%s", d);
	/* One-tier store. */
	CHECK(put(root, "one/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	snprintf(path, sizeof path, "srv*%s/one", root);
	CHECK_OK(find(path, NULL, &got));
	snprintf(want, sizeof want, "%s/one/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", root);
	CHECK_STR(got, want);
	free(got);
	/* Two-tier store: index2.txt and the "nt/" prefix. */
	CHECK(put(root, "two/index2.txt", "") == 0);
	CHECK(put(root, "two/nt/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	snprintf(path, sizeof path, "srv*%s/two", root);
	CHECK_OK(find(path, NULL, &got));
	snprintf(want, sizeof want, "%s/two/nt/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", root);
	CHECK_STR(got, want);
	free(got);
	/* file.ptr with PATH: to a flat file elsewhere. */
	CHECK(put(root, "elsewhere/k.pdb", "PDB:" KEY1) == 0);
	snprintf(want, sizeof want, "PATH:%s/elsewhere/k.pdb\r\n", root);
	CHECK(put(root, "ptr/ntkrnlmp.pdb/" KEY1 "/file.ptr", want) == 0);
	snprintf(path, sizeof path, "srv*%s/ptr", root);
	CHECK_OK(find(path, NULL, &got));
	snprintf(want, sizeof want, "%s/elsewhere/k.pdb", root);
	CHECK_STR(got, want);
	free(got);
	/* file.ptr with MSG:, and a compressed copy: reported, not found. */
	CHECK(put(root, "msg/ntkrnlmp.pdb/" KEY1 "/file.ptr", "MSG:withdrawn") == 0);
	CHECK(put(root, "cab/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pd_", "MSCF") == 0);
	snprintf(path, sizeof path, "srv*%s/msg;srv*%s/cab", root, root);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "message from the store: withdrawn") != NULL);
	CHECK(strstr(msgs, "compressed (CAB)") != NULL);
	CHECK(strstr(msgs, "error: ntkrnlmp.pdb (key " KEY1 ") not found") != NULL);
	/* Flat folder: a wrong PDB is refused with the reason, the search
	 * goes on to the next element. */
	CHECK(put(root, "flat1/ntkrnlmp.pdb", "PDB:" KEY_OTHER) == 0);
	CHECK(put(root, "flat2/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	snprintf(path, sizeof path, "%s/flat1;%s/flat2", root, root);
	CHECK_OK(find(path, NULL, &got));
	snprintf(want, sizeof want, "%s/flat2/ntkrnlmp.pdb", root);
	CHECK_STR(got, want);
	free(got);
	CHECK(strstr(msgs, "flat1/ntkrnlmp.pdb: refused: not the wanted PDB") != NULL);
	/* A plain folder laid out as a store is searched as one. */
	snprintf(path, sizeof path, "%s/one", root);
	CHECK_OK(find(path, NULL, &got));
	free(got);
	/* Lower-case fallback (stores written on case-insensitive systems). */
	CHECK(put(root, "lc/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	{
		hvs__alloc a;
		hvs__sympath p;
		hvs__err e;
		hvs__symsrv_req r;
		hvs__alloc_init(&a, NULL);
		snprintf(path, sizeof path, "srv*%s/lc", root);
		CHECK_OK(hvs__sympath_parse(&p, path, &a, &e));
		memset(&r, 0, sizeof r);
		r.pdb_name = "NTKRNLMP.PDB";
		memcpy(r.guid, guid1, 16);
		r.age = 3;
		r.check = fake_check;
		CHECK_OK(hvs__symsrv_find(&got, &p, &r, &a, &e));
		hvs__sympath_free(&p, &a);
		snprintf(want, sizeof want, "%s/lc/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", root);
		/* Windows: the file system ignores case, so the name as asked
		 * already names the stored file (test_same_path). */
		if (!test_same_path(got, want))
			CHECK_STR(got, want);
		free(got);
	}
	/* Nothing anywhere: NOTFOUND, every place named. */
	snprintf(path, sizeof path, "%s/none;srv*%s/none2", root, root);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(got == NULL);
	CHECK(strstr(msgs, "none2: no ntkrnlmp.pdb/" KEY1) != NULL);
}

static void test_symsrv__downstream_copies(void)
{
	char root[1024], path[4096];
	char *got;
	const char *d = fresh("symsrv_copy");
	CHECK(d != NULL);
	snprintf(root, sizeof root, "%s", d);
	CHECK(put(root, "up/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	/* srv*A*B*UP: found upstream, copied into A and B. */
	snprintf(path, sizeof path, "srv*%s/a*%s/b*%s/up", root, root, root);
	CHECK_OK(find(path, NULL, &got));
	free(got);
	CHECK(exists(root, "a/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	CHECK(exists(root, "b/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* Found again: now in A, the first downstream store. */
	CHECK_OK(find(path, NULL, &got));
	CHECK(strstr(got, "/a/ntkrnlmp.pdb/") != NULL);
	free(got);
	/* srv**UP: the default downstream store. */
	snprintf(path, sizeof path, "srv**%s/up", root);
	{
		char def[1100];
		snprintf(def, sizeof def, "%s/default", root);
		CHECK_OK(find(path, def, &got));
		free(got);
	}
	CHECK(exists(root, "default/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* cache*DIR copies what a later flat folder finds. */
	CHECK(put(root, "flat/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	snprintf(path, sizeof path, "cache*%s/c;%s/flat", root, root);
	CHECK_OK(find(path, NULL, &got));
	free(got);
	CHECK(exists(root, "c/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* ...and is searched first next time. */
	CHECK_OK(find(path, NULL, &got));
	CHECK(strstr(got, "/c/ntkrnlmp.pdb/") != NULL);
	free(got);
	/* No temporary files are left behind. */
	CHECK_EQ(count_tmp(root), 0);
}

/* ------------------------------------------------------------- HTTP */

/* The download cases against the server on @port serving @root. */
static void http_cases(const char *root, int port)
{
	char path[4096], url[128];
	char *got;
	/* Success: downloaded into the downstream store, no temporary left. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/www", port);
	snprintf(path, sizeof path, "srv*%s/cache*%s", root, url);
	if (find(path, NULL, &got) != HVS_OK) {
		test__fail(__FILE__, __LINE__, "download failed:\n%s", msgs);
		return;
	}
	free(got);
	CHECK(exists(root, "cache/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	CHECK(strstr(msgs, "downloaded to") != NULL);
	/* 404: not found, the message says so, nothing written. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", port);
	snprintf(path, sizeof path, "srv*%s/c404*%s", root, url);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "not on the server (HTTP 404)") != NULL);
	CHECK(!exists(root, "c404/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* Truncated body: a transfer error, nothing written. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/trunc", port);
	snprintf(path, sizeof path, "srv*%s/ctr*%s", root, url);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "download failed") != NULL);
	CHECK(!exists(root, "ctr/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* Garbage: refused by the check, not renamed into the store. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/bad", port);
	snprintf(path, sizeof path, "srv*%s/cbad*%s", root, url);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "downloaded file refused: not the wanted PDB") != NULL);
	CHECK(!exists(root, "cbad/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
	/* A bare srv*URL without a default store cannot download... */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/www", port);
	snprintf(path, sizeof path, "srv*%s", url);
	CHECK_STATUS(find(path, NULL, &got), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "no downstream store") != NULL);
	/* ...with one it downloads there. */
	snprintf(path, sizeof path, "%s/default", root);
	{
		char p2[4096];
		snprintf(p2, sizeof p2, "srv*%s", url);
		CHECK_OK(find(p2, path, &got));
		free(got);
	}
	CHECK(exists(root, "default/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb"));
}

static void test_symsrv__http(void)
{
	char root[1024];
	const char *d;
	test_httpd srv;
	int rc;
	if (!hvs__symsrv_can_download())
		SKIP("built without libcurl (HVS_WITH_CURL): no HTTP client on this platform");
	d = fresh("symsrv_http");
	CHECK(d != NULL);
	snprintf(root, sizeof root, "%s", d);
	/* The served store: the right PDB, and garbage under another name. */
	CHECK(put(root, "www/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "PDB:" KEY1) == 0);
	CHECK(put(root, "bad/ntkrnlmp.pdb/" KEY1 "/ntkrnlmp.pdb", "<html>oops</html>") == 0);
	rc = test_httpd_start(&srv, root, root);
	if (rc == 77)
		SKIP("%s not found", TEST_HTTPD_PYTHON);
	CHECK(rc == 0);
	/* The server is stopped whatever the cases found. */
	http_cases(root, srv.port);
	test_httpd_stop(&srv);
	CHECK_EQ(count_tmp(root), 0);
}


TEST_MAIN(TEST(test_symsrv__parse_table), TEST(test_symsrv__parse_oom),
	  TEST(test_symsrv__key), TEST(test_symsrv__local_layouts),
	  TEST(test_symsrv__downstream_copies), TEST(test_symsrv__http))
