/* SPDX-License-Identifier: MIT */
/*
 * Benchmark: the PDB reader (src/pdb) on a generated 10 MB+ PDB, beside
 * llvm-pdbutil on the same file in the same run.
 *
 * Generates DIR/bigpdb.c: N structures shaped like kernel ones (anonymous
 * unions with bitfields, multi-dimensional arrays, function pointers,
 * self pointers, enums) and one global of each, compiles
 * it with clang --target=x86_64-pc-windows-msvc -gcodeview and links it
 * with lld-link into DIR/bigpdb.pdb (kept and reused if present).  Then:
 *  - open + first query: hvs_pdb_open_file() and one of find_field,
 *    find_symbol (+ its type size), type_size_by_name, each on a fresh
 *    handle (the file is in the page cache; best and median of R runs);
 *  - full walk: every type record decoded, every UDT's fields listed, every
 *    type named, every global and public symbol decoded; records/s and MB/s
 *    of TPI;
 *  - peak RSS of this process;
 *  - `llvm-pdbutil dump --types` and `dump --globals --publics` on the same
 *    file, timed as child processes (output to /dev/null).
 *
 *   bench_pdb [-n NSTRUCTS] [-o DIR] [-r RUNS] [--no-mmap]
 *   defaults: -n 9000 -o /tmp -r 15
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchlib.h"
#include "hvs/hvs.h"

#define MB (1000.0 * 1000.0)

static int gen_source(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f)
		return -1;
	fprintf(f, "typedef struct _LIST_ENTRY { struct _LIST_ENTRY *Flink, *Blink; } LIST_ENTRY;\n");
	for (i = 0; i < n; i++) {
		fprintf(f,
			"typedef enum _E%u { E%u_None, E%u_One = %u, E%u_Neg = -%u } E%u;\n"
			"typedef struct _S%u {\n"
			"  struct _S%u *Next, *Parent;\n"
			"  union { unsigned long Flags%u; struct { unsigned long A:1, B:3, C:28; }; };\n"
			"  unsigned short Grid%u[4][3];\n"
			"  long (*Callback)(int, struct _S%u *);\n"
			"  E%u Kind;\n"
			"  LIST_ENTRY Links;\n"
			"  unsigned long long Value%u;\n"
			"  char Name[16];\n"
			"  const volatile unsigned int Count;\n"
			"  struct { short X, Y; } Point;\n"
			"  void *Context, **ContextList;\n"
			"  double Ratio; float Scale; signed char Small; unsigned char Tiny;\n"
			"  unsigned long long Big:40, Rest:24;\n"
			"} S%u, *PS%u;\n"
			"S%u g_S%u;\n",
			i, i, i, i + 1, i, i + 1, i, i, i, i, i, i, i, i, i, i, i,
			i);
	}
	fprintf(f, "int _BenchUse(void) { return (int)g_S0.Count; }\n");
	return fclose(f) == 0 ? 0 : -1;
}

static int build_pdb(const char *dir, unsigned n, const char *pdb)
{
	char src[512], obj[512], dll[512], cmd[4096];
	double t0;

	snprintf(src, sizeof src, "%s/bigpdb.c", dir);
	snprintf(obj, sizeof obj, "%s/bigpdb.obj", dir);
	snprintf(dll, sizeof dll, "%s/bigpdb.dll", dir);
	if (gen_source(src, n))
		return -1;
	t0 = bench_now();
	snprintf(cmd, sizeof cmd,
		 "clang --target=x86_64-pc-windows-msvc -gcodeview -g -O0 -c %s -o %s && "
		 "lld-link /nologo /DLL /NOENTRY /NODEFAULTLIB /DEBUG:FULL /PDB:%s /OUT:%s %s",
		 src, obj, pdb, dll, obj);
	if (system(cmd) != 0)
		return -1;
	printf("generated %u structures: clang + lld-link %.1f s\n", n, bench_now() - t0);
	return 0;
}

static double run_child(const char *cmd)
{
	double t0 = bench_now();
	if (system(cmd) != 0)
		return -1.0;
	return bench_now() - t0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef struct walk {
	uint64_t fields, enumerators, syms;
} walk;

static int on_field(void *ud, const hvs_pdb_field *f)
{
	(void)f;
	((walk *)ud)->fields++;
	return 0;
}

static int on_enum(void *ud, const hvs_pdb_enumerator *e)
{
	(void)e;
	((walk *)ud)->enumerators++;
	return 0;
}

static int on_sym(void *ud, const hvs_pdb_symbol *s)
{
	(void)s;
	((walk *)ud)->syms++;
	return 0;
}

/* One open + first-query measurement; @what selects the query. */
static double first_query(const char *pdb, int what, const hvs_open_opts *o)
{
	hvs_pdb *h = NULL;
	hvs_pdb_field f;
	hvs_pdb_symbol s;
	uint64_t sz;
	double t0 = bench_now();
	hvs_status st;

	if (hvs_pdb_open_file(&h, pdb, o) != HVS_OK)
		return -1.0;
	switch (what) {
	case 0:
		st = hvs_pdb_find_field(h, "_S4321", "Links.Blink", &f);
		break;
	case 1:
		st = hvs_pdb_find_symbol(h, "g_S1234", HVS_PDB_SYMS_ALL, &s);
		break;
	default:
		st = hvs_pdb_type_size_by_name(h, "S777", &sz);
		break;
	}
	t0 = bench_now() - t0;
	hvs_pdb_close(h);
	return st == HVS_OK ? t0 : -1.0;
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp";
	unsigned n = 9000, runs = 15, r;
	char pdb[512], cmd[2048], name[1024];
	struct stat stb;
	hvs_open_opts o;
	hvs_pdb *h = NULL;
	hvs_pdb_info in;
	walk w = {0, 0, 0};
	uint32_t ti, ntypes = 0;
	double t0, twalk, tsyms, llvm_types, llvm_syms;
	static const char *const qname[3] = {"find_field(_S4321, Links.Blink)",
					     "find_symbol(g_S1234) + size",
					     "type_size_by_name(S777)"};
	int i;

	memset(&o, 0, sizeof o);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			runs = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-mmap"))
			o.flags |= HVS_PDB_OPEN_NO_MMAP;
		else {
			fprintf(stderr, "usage: %s [-n NSTRUCTS] [-o DIR] [-r RUNS] [--no-mmap]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 5000 || runs == 0 || runs > 1000) {
		fprintf(stderr, "need -n >= 5000 (the queries name _S4321) and 1..1000 runs\n");
		return 2;
	}
	snprintf(pdb, sizeof pdb, "%s/bigpdb-%u.pdb", dir, n);
	if (stat(pdb, &stb) != 0 && build_pdb(dir, n, pdb) != 0) {
		fprintf(stderr, "cannot build %s (needs clang and lld-link)\n", pdb);
		return 1;
	}
	if (stat(pdb, &stb) != 0)
		return 1;
	printf("PDB %s: %.1f MB%s\n", pdb, (double)stb.st_size / MB,
	       (o.flags & HVS_PDB_OPEN_NO_MMAP) ? " (pread, no mmap)" : " (memory-mapped)");
	/* Warm the page cache, as a symbol cache on a working machine is. */
	snprintf(cmd, sizeof cmd, "cat %s > /dev/null", pdb);
	if (system(cmd) != 0)
		return 1;

	for (i = 0; i < 3; i++) {
		double *t = calloc(runs, sizeof *t);
		if (!t)
			return 1;
		for (r = 0; r < runs; r++) {
			t[r] = first_query(pdb, i, &o);
			if (t[r] < 0) {
				fprintf(stderr, "query %s failed\n", qname[i]);
				return 1;
			}
		}
		qsort(t, runs, sizeof *t, cmp_d);
		printf("open + first %-34s best %6.2f ms, median %6.2f ms\n", qname[i],
		       t[0] * 1e3, t[runs / 2] * 1e3);
		free(t);
	}

	/* Full walk on one handle. */
	t0 = bench_now();
	if (hvs_pdb_open_file(&h, pdb, &o) != HVS_OK)
		return 1;
	{
		hvs_pdb_type t;
		(void)hvs_pdb_type_get(h, 0x1000, &t);
	}
	hvs_pdb_get_info(h, &in);
	for (ti = in.tpi_begin; ti < in.tpi_end; ti++) {
		hvs_pdb_type t;
		if (hvs_pdb_type_get(h, ti, &t) != HVS_OK)
			return 1;
		ntypes++;
		if ((t.kind == HVS_PDB_TYPE_STRUCT || t.kind == HVS_PDB_TYPE_UNION) &&
		    hvs_pdb_foreach_field(h, ti, HVS_PDB_FIELDS_FLATTEN, on_field, &w))
			return 1;
		if (t.kind == HVS_PDB_TYPE_ENUM &&
		    hvs_pdb_foreach_enumerator(h, ti, on_enum, &w))
			return 1;
		if (t.kind != HVS_PDB_TYPE_FIELDLIST && t.kind != HVS_PDB_TYPE_OTHER &&
		    hvs_pdb_type_name(h, ti, HVS_PDB_NAME_C, name, sizeof name, NULL))
			return 1;
	}
	twalk = bench_now() - t0;
	t0 = bench_now();
	if (hvs_pdb_foreach_symbol(h, HVS_PDB_ITER_GLOBALS | HVS_PDB_ITER_PUBLICS,
				   HVS_PDB_SYMS_ALL, on_sym, &w))
		return 1;
	tsyms = bench_now() - t0;
	hvs_pdb_close(h);
	printf("full walk: %u types (+ %" PRIu64 " fields, %" PRIu64
	       " enumerators, every type named) in %.0f ms = %.0f k types/s\n",
	       ntypes, w.fields, w.enumerators, twalk * 1e3, ntypes / twalk / 1e3);
	printf("           %" PRIu64 " global + public symbols (types sized) in %.0f ms\n",
	       w.syms, tsyms * 1e3);
	printf("peak RSS %.1f MB\n", (double)bench_peak_rss() / MB);

	snprintf(cmd, sizeof cmd, "llvm-pdbutil dump --types %s > /dev/null", pdb);
	llvm_types = run_child(cmd);
	snprintf(cmd, sizeof cmd, "llvm-pdbutil dump --globals --publics %s > /dev/null", pdb);
	llvm_syms = run_child(cmd);
	if (llvm_types >= 0)
		printf("llvm-pdbutil dump --types: %.0f ms; dump --globals --publics: %.0f ms\n",
		       llvm_types * 1e3, llvm_syms * 1e3);
	else
		printf("llvm-pdbutil not available\n");
	return 0;
}
