/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: hvs_store_dump() (src/store/dump.c), the diagnostic walk
 * behind `hvs dump-structures`.  The last input byte selects the flags
 * (bit 0: HVS_DUMP_KEY_ENTRIES); the rest is the file.  Invariants beyond
 * "no crash": a structure has a problem exactly when it is invalid; every
 * field lies inside its structure (the log excepted: its size is the log
 * area from the header); a checksum verdict agrees with the stored and
 * computed values; HVS_OK means every structure but stale log slots is
 * valid; HVS_E_UNSUPPORTED means only the two header copies were shown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "store_dump invariant: %s\n", what);           \
		abort();                                                       \
	} while (0)

typedef struct fstate {
	unsigned long structs, fields;
	int invalid;          /* a structure that must fail the verdict */
	uint64_t size;        /* of the structure being reported */
	int is_log;
} fstate;

static void on_begin(void *ud, const hvs_dump_struct *s)
{
	fstate *f = ud;

	if (!s->kind || !*s->kind)
		FAIL("structure without a kind");
	if ((s->problem != NULL) != !s->valid)
		FAIL("problem set iff invalid");
	if (s->problem && !*s->problem)
		FAIL("empty problem text");
	if (!s->valid && !(s->state && strcmp(s->state, "stale") == 0))
		f->invalid = 1;
	f->size = s->size;
	f->is_log = strcmp(s->kind, "replay log") == 0;
	f->structs++;
}

static void on_field(void *ud, const hvs_dump_field *d)
{
	fstate *f = ud;

	if (f->structs == 0)
		FAIL("field before any structure");
	if (!d->name || (d->size != 1 && d->size != 2 && d->size != 4 && d->size != 8))
		FAIL("field name or size");
	if (!f->is_log && d->offset + d->size > f->size)
		FAIL("field outside its structure");
	if (d->size < 8 && (d->value >> (d->size * 8)) != 0)
		FAIL("value wider than its field");
	if (d->check == HVS_DUMP_CHECK_OK && d->computed != d->value)
		FAIL("checksum ok but values differ");
	if (d->check == HVS_DUMP_CHECK_BAD && d->computed == d->value)
		FAIL("checksum bad but values equal");
	f->fields++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs_dump_ops ops = { on_begin, on_field, NULL };
	fstate f;
	uint32_t flags;
	hvs_status s;

	if (size < 1)
		return 0;
	flags = (data[size - 1] & 1) ? HVS_DUMP_KEY_ENTRIES : 0;
	size--;
	memset(&f, 0, sizeof f);
	ops.ud = &f;
	if (hvs_source_from_memory(&src, data, size) != HVS_OK)
		return 0;
	s = hvs_store_dump(&src, NULL, flags, &ops);
	hvs_source_close(&src);
	switch (s) {
	case HVS_OK:
		if (f.invalid)
			FAIL("HVS_OK with an invalid structure");
		break;
	case HVS_E_CORRUPT:
		if (!f.invalid)
			FAIL("HVS_E_CORRUPT without an invalid structure");
		break;
	case HVS_E_UNSUPPORTED:
		if (f.structs != 2)
			FAIL("not a container, yet more than the two headers shown");
		break;
	default:
		FAIL("unexpected status");
	}
	return 0;
}
