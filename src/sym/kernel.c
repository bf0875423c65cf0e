/* SPDX-License-Identifier: MIT */
/*
 * The Windows kernel in guest memory: where its image lies (found from a
 * kernel-mode VP's RIP, the IDT handlers and the syscall MSR), the
 * loaded-module list (PsLoadedModuleList) and the Windows version.
 * Method, limits and sources: docs/symbols.md "Locating the kernel".
 *
 * Every guest pointer is untrusted: addresses come from registers and
 * from memory the guest could have scribbled on, so every scan is
 * bounded (a window per start address, a cap on start addresses and on
 * list entries) and every structure read is checked before use.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvs/vp.h"
#include "sym/sym_int.h"

/* How far below a start address the image base may lie: the x64 kernel
 * image is 8-16 MiB on the builds observed (10.0.17763-26100), so 32 MiB
 * covers a start anywhere in it. */
#define KSCAN_WINDOW (32ull << 20)
/* Start addresses tried at most: RIPs, LSTAR, IDT vectors 0-31. */
#define KSCAN_MAX_STARTS 64
/* Windows x64 puts the kernel in the upper (negative) half. */
#define KSCAN_KERNEL_SPACE 0xFFFF800000000000ull

/* KUSER_SHARED_DATA, mapped read-only at this address in every x64
 * Windows address space; fields from the public _KUSER_SHARED_DATA type
 * (ntddk.h / the kernel PDB). */
#define KUSD_VA 0xFFFFF78000000000ull
#define KUSD_NT_BUILD_NUMBER 0x260   /* Windows 10 and later */
#define KUSD_NT_MAJOR_VERSION 0x26C
#define KUSD_NT_MINOR_VERSION 0x270

/* The x64 layout of _LDR_DATA_TABLE_ENTRY, whose leading fields
 * _KLDR_DATA_TABLE_ENTRY shares: used when the kernel PDB has neither
 * type (a stripped or private PDB). */
#define KLDR_X64_IN_LOAD_ORDER 0x00
#define KLDR_X64_DLL_BASE 0x30
#define KLDR_X64_SIZE_OF_IMAGE 0x40
#define KLDR_X64_BASE_DLL_NAME 0x58
/* Longest BaseDllName accepted, in bytes of UTF-16 (MAX_PATH). */
#define KLDR_MAX_NAME_BYTES 520u
/* Most list entries walked. */
#define KLDR_MAX_ENTRIES 65536u

/* PDB names of the x64 and x86 kernels (MP / UP, PAE or not). */
static const char *const kernel_pdbs[] = {
	"ntkrnlmp.pdb", "ntoskrnl.pdb", "ntkrnlpa.pdb", "ntkrpamp.pdb"
};

void hvs__sym_say(const hvs_sym *s, const char *fmt, ...)
{
	char line[HVS_ERRMSG_MAX + 128];
	va_list ap;
	if (!s->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->msg(s->msg_ud, line);
}

const char *hvs__sym_basename(const char *path)
{
	const char *b = path, *p;
	for (p = path; *p; p++)
		if (*p == '/' || *p == '\\' || *p == ':')
			b = p + 1;
	return b;
}

/* Case-insensitive ASCII equality. */
static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static int is_kernel_pdb(const char *pdb)
{
	size_t i;
	const char *b = hvs__sym_basename(pdb);
	for (i = 0; i < HVS__ARRAY_SIZE(kernel_pdbs); i++)
		if (ieq(b, kernel_pdbs[i]))
			return 1;
	return 0;
}

/* ------------------------------------------------------ the locator */

/* One start address and where it came from. */
typedef struct kstart {
	uint64_t va;
	char what[32];
} kstart;

typedef struct kscan {
	hvs_sym *s;
	uint64_t start;
	const char *what;
	int stop;                 /* an image containing start was seen */
	int hit;                  /* ... and it is the kernel */
	hvs_pe_found found;
	char pdb[HVS__SYM_NAME_MAX];
} kscan;

/* Scanner callback: images below the start, nearest first. */
static int on_image(void *ud, const hvs_pe_found *f)
{
	kscan *k = ud;
	const char *pdb = f->has_codeview ? f->pdb_name : NULL;
	if (k->start < f->base || k->start - f->base >= f->size) {
		/* An image below the start that does not reach it: the start is
		 * not in it; keep going down. */
		hvs__sym_say(k->s, "  image at 0x%016" PRIx64 " (%s, size 0x%x) does not contain "
			     "0x%016" PRIx64, f->base, pdb ? pdb : f->name ? f->name : "no name",
			     f->size, k->start);
		return 0;
	}
	k->stop = 1;
	if (pdb && is_kernel_pdb(pdb)) {
		k->hit = 1;
		k->found = *f;
		snprintf(k->pdb, sizeof k->pdb, "%s", hvs__sym_basename(pdb));
		k->found.pdb_name = k->pdb;
		k->found.name = NULL;
		return 1;
	}
	hvs__sym_say(k->s, "  %s 0x%016" PRIx64 " lies in the image at 0x%016" PRIx64 " (%s), "
		     "not a kernel", k->what, k->start, f->base,
		     pdb ? pdb : "no CodeView record");
	return 1;
}

/* Add @va to the start list unless it is there already. */
static void add_start(kstart *v, size_t *n, uint64_t va, const char *what)
{
	size_t i;
	if (*n >= KSCAN_MAX_STARTS)
		return;
	for (i = 0; i < *n; i++)
		if (v[i].va == va)
			return;
	v[*n].va = va;
	snprintf(v[*n].what, sizeof v[*n].what, "%s", what);
	(*n)++;
}

/* The IDT handlers of vectors 0-31 (the CPU exceptions, which the kernel
 * itself handles) of VP @vp: 16-byte x64 gate descriptors (Intel SDM
 * Vol.3 6.14.1): offset 15:0 at +0, 31:16 at +6, 63:32 at +8; P bit 7
 * of byte 5; type 0xE or 0xF. */
static void idt_starts(hvs_sym *s, uint32_t vp, kstart *v, size_t *n)
{
	hvs_regval r;
	uint8_t idt[32 * 16];
	size_t len, done = 0, i;
	uint64_t base;
	hvs_status st;
	if (hvs_image_get_reg(s->img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_IDTR, &r) != HVS_OK) {
		hvs__sym_say(s, "VP %u: IDTR not saved", vp);
		return;
	}
	base = r.hi;
	len = (size_t)((r.lo & 0xFFFF) + 1);
	if (len > sizeof idt)
		len = sizeof idt;
	len -= len % 16;
	st = hvs_vp_read(s->img, vp, base, idt, len, &done);
	if (st != HVS_OK)
		hvs__sym_say(s, "VP %u: IDT at 0x%016" PRIx64 ": read %zu of %zu bytes (%s)", vp,
			     base, done, len, hvs_strerror(st));
	for (i = 0; i + 16 <= done; i += 16) {
		const uint8_t *g = idt + i;
		uint64_t h;
		char what[32];
		if (!(g[5] & 0x80) || ((g[5] & 0xF) != 0xE && (g[5] & 0xF) != 0xF))
			continue;
		h = (uint64_t)hvs__le16(g) | (uint64_t)hvs__le16(g + 6) << 16 |
		    (uint64_t)hvs__le32(g + 8) << 32;
		snprintf(what, sizeof what, "IDT vector %zu", i / 16);
		add_start(v, n, h, what);
	}
}

hvs_status hvs__sym_find_kernel(hvs_sym *s, hvs_pe_found *out, char *pdb_name,
				size_t pdb_name_size)
{
	kstart starts[KSCAN_MAX_STARTS];
	uint64_t scanned_lo[KSCAN_MAX_STARTS], scanned_hi[KSCAN_MAX_STARTS];
	size_t nstarts = 0, nscanned = 0, i, j;
	uint32_t nvp = hvs_image_vp_count(s->img), vp, first = UINT32_MAX, x64 = UINT32_MAX;
	hvs_status st;
	if (nvp == 0)
		return hvs__err_set(&s->err, HVS_E_NOTFOUND,
				    "Windows kernel not found: the image has no virtual processor");
	/* Kernel-mode VPs give the start addresses; the first one is the
	 * address space used (the kernel half is the same in all). */
	for (vp = s->vp_auto ? 0 : s->vp; vp < nvp; vp++) {
		hvs_vp_info vi;
		hvs_regval r;
		int k = 0;
		hvs_image_vp_info(s->img, vp, &vi);
		if (vi.arch == HVS_ARCH_X64 && x64 == UINT32_MAX)
			x64 = vp;
		if (vi.arch != HVS_ARCH_X64) {
			hvs__sym_say(s, "VP %u: not in x64 long mode; skipped", vp);
		} else if (hvs_image_in_kernel(s->img, vp, &k) != HVS_OK || !k) {
			hvs__sym_say(s, "VP %u: not in kernel mode; its RIP is not used", vp);
		} else if (hvs_image_get_reg(s->img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &r) ==
			   HVS_OK) {
			char what[32];
			snprintf(what, sizeof what, "VP %u RIP", vp);
			if (first == UINT32_MAX)
				first = vp;
			add_start(starts, &nstarts, r.lo, what);
		}
		if (!s->vp_auto)
			break;
	}
	if (first == UINT32_MAX) {
		/* No kernel-mode VP (or the one asked for is in user mode): the
		 * syscall MSR and the IDT still point into the kernel, and a
		 * user address space maps the kernel half unless KVA shadowing
		 * hides it, which the scan then reports. */
		if (x64 == UINT32_MAX)
			return hvs__err_set(&s->err, HVS_E_NOTFOUND,
					    "Windows kernel not found: no x64 VP");
		first = x64;
		hvs__sym_say(s, "no VP in kernel mode: trying LSTAR and the IDT of VP %u", first);
	}
	s->vp = first;
	{
		hvs_regval r;
		if (hvs_image_get_reg(s->img, first, HVS_VTL_ACTIVE, HVS_REG_X64_LSTAR, &r) ==
		    HVS_OK)
			add_start(starts, &nstarts, r.lo, "LSTAR");
		else
			hvs__sym_say(s, "VP %u: LSTAR not saved", first);
	}
	idt_starts(s, first, starts, &nstarts);
	for (i = 0; i < nstarts; i++) {
		kscan k;
		uint64_t va = starts[i].va, lo;
		int seen = 0;
		if (va < KSCAN_KERNEL_SPACE) {
			hvs__sym_say(s, "%s 0x%016" PRIx64 ": not a kernel-space address; skipped",
				     starts[i].what, va);
			continue;
		}
		for (j = 0; j < nscanned; j++)
			if (va >= scanned_lo[j] && va <= scanned_hi[j])
				seen = 1;
		if (seen)
			continue;
		lo = va - KSCAN_WINDOW;
		hvs__sym_say(s, "scanning down from %s 0x%016" PRIx64 " (VP %u) for a kernel image",
			     starts[i].what, va, first);
		memset(&k, 0, sizeof k);
		k.s = s;
		k.start = va;
		k.what = starts[i].what;
		st = hvs_pe_scan_vp(s->img, first, va, lo, NULL, 0, on_image, &k, NULL);
		if (st == HVS_E_NOMEM)
			return hvs__err_set(&s->err, st, "kernel scan: out of memory");
		if (st != HVS_OK) {
			hvs__sym_say(s, "  scan failed: %s", hvs_image_errmsg(s->img));
			continue;
		}
		if (k.hit) {
			*out = k.found;
			snprintf(pdb_name, pdb_name_size, "%s", k.pdb);
			out->pdb_name = pdb_name;
			hvs__sym_say(s, "kernel image %s at 0x%016" PRIx64 ", size 0x%x, found from %s",
				     pdb_name, out->base, out->size, starts[i].what);
			return HVS_OK;
		}
		if (!k.stop)
			hvs__sym_say(s, "  no image contains 0x%016" PRIx64 " within 0x%llx bytes below it",
				     va, (unsigned long long)KSCAN_WINDOW);
		scanned_lo[nscanned] = lo;
		scanned_hi[nscanned++] = va;
	}
	return hvs__err_set(&s->err, HVS_E_NOTFOUND,
			    "Windows kernel not found: no image named %s, %s, %s or %s contains "
			    "any of the %zu start addresses (RIP, LSTAR, IDT)",
			    kernel_pdbs[0], kernel_pdbs[1], kernel_pdbs[2], kernel_pdbs[3], nstarts);
}

/* ------------------------------------------------- the module list */

/* Read a guest pointer at @va. */
static hvs_status read_u64(hvs_sym *s, uint64_t va, uint64_t *out)
{
	uint8_t b[8];
	HVS_TRY(hvs_vp_read(s->img, s->vp, va, b, 8, NULL));
	*out = hvs__le64(b);
	return HVS_OK;
}

/* Field offset from the kernel PDB (_KLDR_DATA_TABLE_ENTRY from Windows
 * 10 on, _LDR_DATA_TABLE_ENTRY before, as volatility3's modules plugin
 * does), else the x64 default. */
static uint64_t kldr_off(hvs_sym *s, const char *field, uint64_t dflt, int *from_pdb)
{
	uint64_t off;
	if (hvs__sym_kernel_field(s, "_KLDR_DATA_TABLE_ENTRY", field, &off) == HVS_OK ||
	    hvs__sym_kernel_field(s, "_LDR_DATA_TABLE_ENTRY", field, &off) == HVS_OK)
		return off;
	*from_pdb = 0;
	return dflt;
}

hvs_status hvs_sym_load_module_list(hvs_sym *s)
{
	uint64_t head, cur, o_links, o_base, o_size, o_name, span;
	uint32_t count = 0;
	int from_pdb = 1;
	hvs_status st;
	if (!s)
		return HVS_E_INVALID;
	if (!s->kernel_located || !s->mods[0].pdb)
		return hvs__err_set(&s->err, HVS_E_NOTFOUND,
				    "loaded-module list: kernel symbols are not loaded");
	st = hvs__sym_kernel_global(s, "PsLoadedModuleList", &head, NULL);
	if (st != HVS_OK)
		return hvs__err_prefix(&s->err, st, "loaded-module list");
	o_links = kldr_off(s, "InLoadOrderLinks", KLDR_X64_IN_LOAD_ORDER, &from_pdb);
	o_base = kldr_off(s, "DllBase", KLDR_X64_DLL_BASE, &from_pdb);
	o_size = kldr_off(s, "SizeOfImage", KLDR_X64_SIZE_OF_IMAGE, &from_pdb);
	o_name = kldr_off(s, "BaseDllName", KLDR_X64_BASE_DLL_NAME, &from_pdb);
	span = HVS__MAX(HVS__MAX(o_base + 8, o_size + 4), o_name + 16);
	if (span > 4096 || o_links > 4096)
		return HVS_CORRUPT(&s->err, "_KLDR_DATA_TABLE_ENTRY offsets from the PDB are "
				   "implausible (beyond 4 KiB)");
	hvs__sym_say(s, "PsLoadedModuleList at 0x%016" PRIx64 ", entry layout %s", head,
		     from_pdb ? "from the PDB's _KLDR_DATA_TABLE_ENTRY" : "x64 default");
	st = read_u64(s, head, &cur);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st, "loaded-module list: head at 0x%016" PRIx64
				    " not readable (%s)", head, hvs_strerror(st));
	while (cur != head) {
		uint8_t e[4096 + 16];
		uint8_t nbuf[KLDR_MAX_NAME_BYTES];
		char name[HVS__SYM_NAME_MAX * 3];
		uint64_t entry, base, nptr;
		uint32_t size;
		uint16_t nlen;
		size_t idx;
		if (++count > KLDR_MAX_ENTRIES)
			return HVS_CORRUPT(&s->err, "loaded-module list: more than %u entries "
					   "(a cycle?)", KLDR_MAX_ENTRIES);
		if (cur < o_links || cur < KSCAN_KERNEL_SPACE)
			return HVS_CORRUPT(&s->err, "loaded-module list: entry %u: link 0x%016" PRIx64
					   " is not a kernel address", count, cur);
		entry = cur - o_links;
		st = hvs_vp_read(s->img, s->vp, entry, e, (size_t)span, NULL);
		if (st != HVS_OK)
			return hvs__err_set(&s->err, st == HVS_E_NOMEM ? st : HVS_E_CORRUPT,
					    "loaded-module list: entry %u at 0x%016" PRIx64
					    " not readable (%s)", count, entry, hvs_strerror(st));
		base = hvs__le64(e + o_base);
		size = hvs__le32(e + o_size);
		/* UNICODE_STRING: Length, MaximumLength, (pad), Buffer. */
		nlen = hvs__le16(e + o_name);
		nptr = hvs__le64(e + o_name + 8);
		name[0] = '\0';
		if (nlen % 2 || nlen > KLDR_MAX_NAME_BYTES || nlen > hvs__le16(e + o_name + 2)) {
			hvs__sym_say(s, "module list entry %u: BaseDllName length %u invalid", count,
				     nlen);
		} else if (nlen) {
			st = hvs_vp_read(s->img, s->vp, nptr, nbuf, nlen, NULL);
			if (st == HVS_OK)
				hvs__utf16le_to_utf8(nbuf, nlen, name, sizeof name);
			else
				hvs__sym_say(s, "module list entry %u: name at 0x%016" PRIx64
					     " not readable (%s)", count, nptr, hvs_strerror(st));
		}
		if (base && size) {
			st = hvs__sym_add_module(s, NULL, name[0] ? name : NULL, base, size, &idx);
			if (st != HVS_OK)
				return st;
			s->mods[idx].from_list = 1;
			/* The CodeView record names the module's PDB for listings;
			 * an image whose headers are paged out just has none. */
			if (!s->mods[idx].has_cv && hvs__sym_read_cv(s, &s->mods[idx]) != HVS_OK)
				hvs__sym_say(s, "module list entry %u (%s): %s", count,
					     s->mods[idx].name, s->err.msg);
		}
		st = read_u64(s, cur, &cur);
		if (st != HVS_OK)
			return hvs__err_set(&s->err, HVS_E_CORRUPT, "loaded-module list: entry %u: "
					    "Flink not readable (%s)", count, hvs_strerror(st));
	}
	s->list_loaded = 1;
	hvs__sym_say(s, "loaded-module list: %u entries", count);
	return HVS_OK;
}

/* ---------------------------------------------------- Windows version */

/* Read a 32-bit guest value. */
static hvs_status read_u32(hvs_sym *s, uint64_t va, uint32_t *out)
{
	uint8_t b[4];
	HVS_TRY(hvs_vp_read(s->img, s->vp, va, b, 4, NULL));
	*out = hvs__le32(b);
	return HVS_OK;
}

/* A 32-bit kernel global, when the symbols have it and it is readable. */
static int kernel_u32(hvs_sym *s, const char *name, uint32_t *out)
{
	uint64_t va;
	return hvs__sym_kernel_global(s, name, &va, NULL) == HVS_OK &&
	       read_u32(s, va, out) == HVS_OK;
}

hvs_status hvs_sym_windows_version(hvs_sym *s, hvs_sym_winver *out)
{
	uint32_t raw = 0, major = 0, minor = 0;
	int kusd;
	if (!s || !out)
		return HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	if (!s->kernel_located)
		return hvs__err_set(&s->err, HVS_E_NOTFOUND,
				    "Windows version: the kernel was not located");
	/* KUSER_SHARED_DATA is readable in every address space; its version
	 * fields are checked for plausibility (major 6-10) before use. */
	kusd = read_u32(s, KUSD_VA + KUSD_NT_MAJOR_VERSION, &major) == HVS_OK &&
	       read_u32(s, KUSD_VA + KUSD_NT_MINOR_VERSION, &minor) == HVS_OK &&
	       major >= 6 && major <= 10 && minor <= 3;
	if (s->mods[0].pdb && kernel_u32(s, "NtBuildNumber", &raw)) {
		uint32_t mj, mn;
		out->build_raw = raw;
		out->build = raw & 0xFFFF;
		out->source = "NtBuildNumber";
		if (kernel_u32(s, "NtMajorVersion", &mj) && kernel_u32(s, "NtMinorVersion", &mn)) {
			out->major = mj;
			out->minor = mn;
		} else if (kusd) {
			out->major = major;
			out->minor = minor;
		} else {
			out->major = s->kernel_os_major;
			out->minor = s->kernel_os_minor;
		}
		return HVS_OK;
	}
	if (kusd && read_u32(s, KUSD_VA + KUSD_NT_BUILD_NUMBER, &raw) == HVS_OK &&
	    (raw & 0xFFFF) != 0) {
		out->build_raw = raw;
		out->build = raw & 0xFFFF;
		out->major = major;
		out->minor = minor;
		out->source = "KUSER_SHARED_DATA";
		return HVS_OK;
	}
	/* The PE header names the OS version but not the build. */
	out->major = s->kernel_os_major;
	out->minor = s->kernel_os_minor;
	out->source = "PE version";
	return HVS_OK;
}
