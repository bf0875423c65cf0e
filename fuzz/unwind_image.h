/* SPDX-License-Identifier: MIT */
/*
 * A synthetic x64 guest for the unwinder's fuzz target and unit tests: a
 * minimal PE32+ image at UWI_BASE (headers, one section covering
 * [0x1000, UWI_SIZE), the exception directory at UWI_PDATA with @npdata
 * RUNTIME_FUNCTIONs) and a stack at UWI_STACK, read through uwi_read()
 * (anything else is "not present").  The caller fills code, .pdata,
 * .xdata and the stack bytes.
 */
#ifndef HVS_FUZZ_UNWIND_IMAGE_H
#define HVS_FUZZ_UNWIND_IMAGE_H

#include <stdint.h>
#include <string.h>

#include "hvs/hvs.h"

#define UWI_BASE 0x10000000ull
#define UWI_SIZE 0x4000u
#define UWI_PDATA 0x3000u     /* .pdata RVA (up to 64 entries) */
#define UWI_XDATA 0x3400u     /* room for UNWIND_INFO */
#define UWI_STACK 0x20000000ull
#define UWI_STACK_SIZE 0x1000u

typedef struct uwi {
	uint8_t img[UWI_SIZE];
	uint8_t stack[UWI_STACK_SIZE];
} uwi;

static inline void uwi_put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void uwi_put32(uint8_t *p, uint32_t v) { uwi_put16(p, v & 0xFFFF); uwi_put16(p + 2, v >> 16); }
static inline void uwi_put64(uint8_t *p, uint64_t v) { uwi_put32(p, (uint32_t)v); uwi_put32(p + 4, (uint32_t)(v >> 32)); }

/* Write the PE headers (the rest of the image is left as it is). */
static inline void uwi_headers(uwi *u, unsigned npdata)
{
	uint8_t *h = u->img, *o = h + 0x40 + 24;

	memset(h, 0, 0x400);
	h[0] = 'M';
	h[1] = 'Z';
	uwi_put32(h + 0x3c, 0x40);
	memcpy(h + 0x40, "PE\0\0", 4);
	uwi_put16(h + 0x44, 0x8664);          /* Machine AMD64 */
	uwi_put16(h + 0x46, 1);               /* NumberOfSections */
	uwi_put16(h + 0x54, 0xF0);            /* SizeOfOptionalHeader */
	uwi_put16(h + 0x56, 0x2022);          /* executable, large-address, DLL */
	uwi_put16(o, 0x20B);                  /* PE32+ */
	uwi_put32(o + 16, 0x1000);            /* AddressOfEntryPoint */
	uwi_put32(o + 20, 0x1000);            /* BaseOfCode */
	uwi_put64(o + 24, UWI_BASE);          /* ImageBase */
	uwi_put32(o + 32, 0x1000);            /* SectionAlignment */
	uwi_put32(o + 36, 0x200);             /* FileAlignment */
	uwi_put16(o + 40, 6);                 /* OS version */
	uwi_put16(o + 48, 6);                 /* subsystem version */
	uwi_put32(o + 56, UWI_SIZE);          /* SizeOfImage */
	uwi_put32(o + 60, 0x400);             /* SizeOfHeaders */
	uwi_put16(o + 68, 1);                 /* Subsystem native */
	uwi_put32(o + 108, 16);               /* NumberOfRvaAndSizes */
	uwi_put32(o + 112 + 3 * 8, UWI_PDATA);        /* exception directory */
	uwi_put32(o + 112 + 3 * 8 + 4, 12 * npdata);
	memcpy(o + 0xF0, ".text\0\0\0", 8);
	uwi_put32(o + 0xF0 + 8, UWI_SIZE - 0x1000);   /* VirtualSize */
	uwi_put32(o + 0xF0 + 12, 0x1000);             /* VirtualAddress */
	uwi_put32(o + 0xF0 + 16, UWI_SIZE - 0x1000);  /* SizeOfRawData */
	uwi_put32(o + 0xF0 + 20, 0x400);
	uwi_put32(o + 0xF0 + 36, 0x60000020u);        /* code, RX */
}

/* hvs_pe_read_fn over a uwi. */
static inline hvs_status uwi_read(void *ud, uint64_t va, void *buf, size_t len,
				  size_t *done)
{
	const uwi *u = ud;

	*done = 0;
	if (va >= UWI_BASE && va - UWI_BASE <= UWI_SIZE && len <= UWI_SIZE - (va - UWI_BASE)) {
		memcpy(buf, u->img + (va - UWI_BASE), len);
	} else if (va >= UWI_STACK && va - UWI_STACK <= UWI_STACK_SIZE &&
		   len <= UWI_STACK_SIZE - (va - UWI_STACK)) {
		memcpy(buf, u->stack + (va - UWI_STACK), len);
	} else {
		return HVS_E_NOTPRESENT;
	}
	*done = len;
	return HVS_OK;
}

#endif
