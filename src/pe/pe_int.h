/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the PE parser (pe.c) and the image scanner
 * (scan.c).
 */
#ifndef HVS_PE_INT_H
#define HVS_PE_INT_H

#include "hvs/pe.h"

/*
 * Name of the image from its export directory (IMAGE_EXPORT_DIRECTORY.Name)
 * without decoding the tables: what the scanner reports.  *out is
 * borrowed from @pe (valid until close).  HVS_E_NOTFOUND when the image
 * has no export directory or the name RVA is 0.
 */
hvs_status hvs__pe_dll_name(hvs_pe *pe, const char **out);

/* Virtual-read callback over a translation context (@ud is the hvs_xlat). */
hvs_status hvs__pe_read_xlat(void *ud, uint64_t va, void *buf, size_t len,
			     size_t *done);

#endif
