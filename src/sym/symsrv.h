/* SPDX-License-Identifier: MIT */
/*
 * Symbol paths and symbol stores (internal to src/sym): the parser of
 * dbghelp symbol paths and the lookup of one PDB along a parsed path,
 * with copies into downstream stores and optional HTTP(S) downloads.
 * Rules and what is (not) supported: docs/symbols.md "Symbol paths".
 *
 * The lookup never opens a PDB itself: a candidate file is accepted by
 * the caller's check callback (GUID and age read by the PDB reader), so
 * this file depends on nothing above util.
 */
#ifndef HVS_SYM_SYMSRV_H
#define HVS_SYM_SYMSRV_H

#include <stddef.h>
#include <stdint.h>

#include "util/alloc.h"
#include "util/err.h"

/* Kinds of symbol-path elements. */
typedef enum hvs__sp_kind {
	HVS__SP_DIR = 0,   /* a plain folder */
	HVS__SP_SRV,       /* srv*... / symsrv*symsrv.dll*...: a chain of stores */
	HVS__SP_CACHE      /* cache*DIR: copies what later elements find */
} hvs__sp_kind;

/* One element of a symbol path.  Strings are owned by the path. */
typedef struct hvs__sp_elem {
	hvs__sp_kind kind;
	/* DIR: the folder; CACHE: the folder ("" = default downstream store). */
	char *dir;
	/* SRV: the stores in order, the last one upstream (a folder or an
	 * http(s):// URL), the others downstream caches ("" = the default
	 * downstream store).  nstores >= 1. */
	char **stores;
	size_t nstores;
} hvs__sp_elem;

typedef struct hvs__sympath {
	hvs__sp_elem *v;
	size_t n;
} hvs__sympath;

/*
 * Parse a symbol path (dbghelp syntax).  Empty elements are skipped,
 * keywords (srv, symsrv, cache) are case-insensitive, spaces around an
 * element are trimmed.  `symsrv*DLL*...` with a DLL other than symsrv.dll
 * is refused (HVS_E_UNSUPPORTED), as is an element with nothing after
 * `srv*` (HVS_E_INVALID).
 * @return HVS_OK, HVS_E_INVALID, HVS_E_UNSUPPORTED, HVS_E_NOMEM (message in @e).
 */
hvs_status hvs__sympath_parse(hvs__sympath *out, const char *path,
			      const hvs__alloc *a, hvs__err *e);
void hvs__sympath_free(hvs__sympath *p, const hvs__alloc *a);

/* The store key of a PDB: 32 upper-case hex digits of the GUID (Windows
 * order: Data1, Data2, Data3 as numbers, then Data4 bytes) and the age
 * in upper-case hex without leading zeros.  @buf holds >= 41 bytes. */
void hvs__symsrv_key(char *buf, const uint8_t guid[16], uint32_t age);

/*
 * Candidate check: HVS_OK when the file at @path is the wanted PDB;
 * otherwise a status with a one-line reason in @why (size @whysize),
 * e.g. "GUID 1234... age 2, wanted ...", and the lookup goes on.
 */
typedef hvs_status (*hvs__symsrv_check_fn)(void *ud, const char *path,
					    char *why, size_t whysize);

/* Message sink (one line, no newline). */
typedef void (*hvs__symsrv_msg_fn)(void *ud, const char *msg);

/* What to look for and how. */
typedef struct hvs__symsrv_req {
	const char *pdb_name;     /* file name only ("ntkrnlmp.pdb") */
	uint8_t guid[16];
	uint32_t age;
	const char *default_store;/* for "" downstream stores; NULL: none */
	int no_download;
	hvs__symsrv_check_fn check;
	void *check_ud;
	hvs__symsrv_msg_fn msg;
	void *msg_ud;
} hvs__symsrv_req;

/*
 * Find the PDB along @path: each element in order (docs/symbols.md).
 * @out receives a malloc'd (@a) local path of a file the check accepted.
 * @return HVS_OK; HVS_E_NOTFOUND (nowhere: the message summarises, the
 *         msg callback got every place); HVS_E_NOMEM.
 */
hvs_status hvs__symsrv_find(char **out, const hvs__sympath *path,
			    const hvs__symsrv_req *req, const hvs__alloc *a,
			    hvs__err *e);

/* Whether HTTP downloads are compiled in (HVS_WITH_CURL). */
int hvs__symsrv_can_download(void);

/*
 * Download @url into @dest atomically: to a temporary file in the same
 * folder, then renamed.  Folders are created as needed.  @check (may be
 * NULL) validates the temporary file before the rename.
 * @return HVS_OK; HVS_E_NOTFOUND (HTTP 404 / 410); HVS_E_IO (network,
 *         short or failed transfer, other HTTP status, file system);
 *         HVS_E_CORRUPT (the check refused it); HVS_E_UNSUPPORTED (no
 *         libcurl).  @why receives a one-line reason on failure.
 */
hvs_status hvs__symsrv_download(const char *url, const char *dest,
				hvs__symsrv_check_fn check, void *check_ud,
				char *why, size_t whysize);

#endif
