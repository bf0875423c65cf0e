/* SPDX-License-Identifier: MIT */
/*
 * hvs info FILE [--vsv PATH] [--json]: what a saved state holds: format,
 * container and VM versions, virtual processors (architecture, paging
 * mode, VTLs), the guest OS id decoded (api.md 4.4), memory ranges and
 * totals, and a summary of the processor-state chunks.  Public API only.
 *
 * Inputs open through the shared VP options (vpopts.h): --vsv for a .bin,
 * --format raw --layout for raw images, --set-reg / --regs-json for
 * registers an input lacks, so info reports what the other commands see.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

/* ----------------------------------------------------------- helpers */

static const char *vendor_name(uint32_t v)
{
	/* PROLOG processor vendor (format.md 5.3). */
	switch (v) {
	case 0: return "AMD";
	case 1: return "Intel";
	case 2: return "Hygon";
	case 0x10: return "ARM";
	case UINT32_MAX: return "unknown";
	default: return "other";
	}
}

/* Guest OS id fields (api.md 4.4: two views told apart by bit 63). */
typedef struct os_id {
	int open_source;
	unsigned vendor;     /* closed: VendorId; open: 0 */
	unsigned os;         /* OsId */
	unsigned major, minor, service, build;  /* closed source */
	uint64_t version;    /* open source: Version (bits 16-47) */
	unsigned spec1, spec2;
} os_id;

static void decode_os_id(uint64_t v, os_id *o)
{
	memset(o, 0, sizeof *o);
	o->open_source = (int)(v >> 63);
	if (o->open_source) {
		o->os = (unsigned)(v >> 56) & 0x7F;
		o->spec2 = (unsigned)(v >> 48) & 0xFF;
		o->version = (v >> 16) & 0xFFFFFFFFull;
		o->spec1 = (unsigned)v & 0xFFFF;
	} else {
		o->vendor = (unsigned)(v >> 48) & 0x7FFF;  /* bit 63 is the open-source flag */
		o->os = (unsigned)(v >> 40) & 0xFF;
		o->major = (unsigned)(v >> 32) & 0xFF;
		o->minor = (unsigned)(v >> 24) & 0xFF;
		o->service = (unsigned)(v >> 16) & 0xFF;
		o->build = (unsigned)v & 0xFFFF;
	}
}

static const char *os_vendor_name(const os_id *o)
{
	if (o->open_source)
		return "open source";
	switch (o->vendor) {
	case 0: return "undefined";
	case 1: return "Microsoft";
	case 2: return "HPE";
	case 0x200: return "LANCOM";
	default: return "unknown";
	}
}

static const char *os_name(const os_id *o)
{
	static const char *const ms[] = { "undefined", "MS-DOS", "Windows 3.x", "Windows 9x",
					  "Windows NT", "Windows CE" };
	static const char *const os[] = { "undefined", "Linux", "FreeBSD", "Xen", "Illumos" };
	if (o->open_source)
		return o->os < 5 ? os[o->os] : "unknown";
	if (o->vendor == 1)
		return o->os < 6 ? ms[o->os] : "unknown";
	return "unknown";
}

/* Ranges the text form of `hvs info` prints before summarising. */
#define INFO_MAX_RANGES 16u

/* Where the GPA layout of the image came from (said for legacy .bin). */
static const char *layout_source(hvs_image *img)
{
	hvs_store *st = hvs_image_store(img);
	const hvs_key *root, *k;
	size_t i, n;
	switch (hvs_image_get_format(img)) {
	case HVS_FORMAT_VMRS: return "RamMemoryBlock descriptors";
	case HVS_FORMAT_ELF: return "ELF PT_LOAD segments (p_paddr)";
	case HVS_FORMAT_RAW: return "raw image layout (--layout, or the whole file at GPA 0)";
	case HVS_FORMAT_BIN: break;
	case HVS_FORMAT_UNKNOWN: return "unknown";
	}
	if (!st)
		return "identity: RAM block n at GPA n MiB (no .vsv: assumed, not read)";
	root = hvs_store_root(st);
	n = hvs_key_child_count(root);
	for (i = 0; i < n; i++)
		if (strncmp(hvs_key_name(hvs_key_child(root, i)), "RamMemoryBlock/", 15) == 0)
			return "RamMemoryBlock descriptors of the .vsv";
	k = hvs_key_find_child(root, "RamMemoryBlock", 0);
	if (k || hvs_store_find(st, "/savedstate/RamMemoryBlock0", &k) == HVS_OK)
		return "RamMemoryBlock descriptors of the .vsv";
	return "identity: RAM block n at GPA n MiB (the .vsv has no descriptors: assumed)";
}

static const char *arch_name(hvs_arch a)
{
	switch (a) {
	case HVS_ARCH_X86: return "x86";
	case HVS_ARCH_X64: return "x64";
	case HVS_ARCH_ARM64: return "arm64";
	case HVS_ARCH_UNKNOWN: break;
	}
	return "unknown";
}

/* Chunk ids in order of first appearance with counts and bytes. */
typedef struct chunk_sum {
	uint32_t id;
	const char *name;
	size_t count;
	uint64_t bytes;
	int decoded;
} chunk_sum;

static size_t summarize_chunks(hvs_image *img, chunk_sum **out, size_t *ndecoded)
{
	size_t n = hvs_image_chunk_count(img), i, j, m = 0;
	chunk_sum *cs = calloc(n ? n : 1, sizeof *cs);
	*ndecoded = 0;
	if (!cs) {
		*out = NULL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		const hvs_state_chunk *c = hvs_image_chunk(img, i);
		*ndecoded += c->decoded != 0;
		for (j = 0; j < m && cs[j].id != c->id; j++)
			;
		if (j == m) {
			cs[m].id = c->id;
			cs[m].name = c->name;
			m++;
		}
		cs[j].count++;
		cs[j].bytes += c->size;
		cs[j].decoded |= c->decoded;
	}
	*out = cs;
	return m;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs info [--vsv PATH] [--symbols PATH] [--json] [options] FILE\n\n"
		   "Describe a saved state (.vmrs, or a legacy .bin with its .vsv) or a\n"
		   "memory image: versions, processors, VTLs, guest OS, memory and state\n"
		   "chunks.  For a Windows guest the kernel is located and the Windows\n"
		   "version named (docs/symbols.md; never downloads).\n"
		   "  --symbols PATH         symbol path for the kernel's PDB (default:\n"
		   "                         $_NT_SYMBOL_PATH, $_NT_ALTERNATE_SYMBOL_PATH);\n"
		   "                         without symbols the version comes\n"
		   "                         from KUSER_SHARED_DATA or the kernel's PE header\n"
		   "  --json                 machine-readable output\n%s", cli_vpopts_help);
}

enum { OPT_JSON = 1, OPT_SYMBOLS, OPT_HELP };

static const cli_opt info_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "symbols", 0, 1, OPT_SYMBOLS },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

/* The Windows version, when the guest's kernel can be located. */
typedef struct winfo {
	int found;
	uint64_t kernel_base;
	hvs_sym_winver v;
} winfo;

/* Locate a Windows kernel (offline: no downloads) and name its version.
 * Guests that are not Windows simply give found = 0.  A guest whose VTL0
 * told the hypervisor it is another OS (an open-source id, or a vendor
 * other than Microsoft) is not searched; an unreported id (0: no
 * enlightened OS, or not saved) still is. */
static void find_windows(hvs_image *img, const char *symbols, winfo *w)
{
	hvs_partition_info pi;
	hvs_sym_opts o;
	hvs_sym *s;
	os_id id;
	memset(w, 0, sizeof *w);
	hvs_image_partition_info(img, &pi);
	if ((pi.guest_os_id_mask & 1u) && pi.guest_os_id[0] != 0) {
		decode_os_id(pi.guest_os_id[0], &id);
		if (id.open_source || id.vendor != 1)
			return;
	}
	memset(&o, 0, sizeof o);
	o.symbol_path = symbols;
	o.vp = HVS_SYM_VP_AUTO;
	o.flags = HVS_SYM_NO_DOWNLOAD;
	if (hvs_sym_open(&s, img, &o) != HVS_OK)
		return;
	/* A missing PDB still leaves the kernel located. */
	(void)hvs_sym_load_kernel(s);
	if (hvs_sym_kernel(s, &w->kernel_base, NULL) &&
	    hvs_sym_windows_version(s, &w->v) == HVS_OK)
		w->found = 1;
	/* The source string is static; nothing else is kept. */
	hvs_sym_close(s);
}

/* ------------------------------------------------------------ output */

/*
 * Text form: one "label: value" line per fact, then per-VP lines, the
 * decoded guest OS ids, the ranges and the chunk summary.
 */
static void print_text(hvs_image *img, const char *path, const winfo *w)
{
	hvs_partition_info pi;
	hvs_store *st = hvs_image_store(img);
	size_t nr = hvs_image_range_count(img), i, nsum, ndec;
	const hvs_mem_range *r = hvs_image_ranges(img);
	uint64_t bytes = 0;
	uint32_t vp, v;
	chunk_sum *cs;

	hvs_image_partition_info(img, &pi);
	printf("file:          %s\n", path);
	printf("format:        %s\n", hvs_image_format_name(hvs_image_get_format(img)));
	if (st) {
		hvs_store_info si;
		hvs_store_get_info(st, &si);
		printf("container:     HyperVStorage %u.%u, %" PRIu64 " keys, %u key tables%s\n",
		       si.format_version >> 8, si.format_version & 0xFF, si.key_count,
		       si.key_table_count,
		       si.replay_pending ? ", replay log pending (applied in memory)" : "");
	}
	if (pi.vm_version)
		printf("vm version:    %u.%u (0x%x)\n", pi.vm_version >> 8, pi.vm_version & 0xFF,
		       pi.vm_version);
	printf("architecture:  %s\n", arch_name(pi.arch));
	if (pi.vendor != UINT32_MAX)
		printf("cpu vendor:    %s (%u)\n", vendor_name(pi.vendor), pi.vendor);
	printf("processors:    %u\n", hvs_image_vp_count(img));
	if (hvs_image_vp_count(img)) {
		printf("VTLs:          mask 0x%x", pi.vtl_mask);
		for (v = 0; v < HVS_VTL_COUNT; v++)
			if (pi.vtl_mask >> v & 1)
				printf(" VTL%u", v);
		printf("%s\n", pi.nested_enabled ? "; nested virtualization enabled" : "");
	}
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		hvs_vp_info vi;
		hvs_paging_mode pm = HVS_PAGING_AUTO;
		int k = -1;
		if (hvs_image_vp_info(img, vp, &vi) != HVS_OK)
			continue;
		/* Paging mode from CR0/CR4/EFER or SCTLR (include/hvs/xlat.h);
		 * "unknown" when the VP lacks those registers. */
		if (hvs_image_get_paging_mode(img, vp, &pm) != HVS_OK)
			pm = HVS_PAGING_AUTO;
		if (hvs_image_in_kernel(img, vp, &k) != HVS_OK)
			k = -1;
		printf("  VP %u:        index %u, %s, paging %s, VTLs 0x%x, active VTL %u%s\n", vp,
		       vi.index, arch_name(vi.arch),
		       pm == HVS_PAGING_AUTO ? "unknown" : hvs_paging_mode_name(pm), vi.vtl_mask,
		       vi.active_vtl, k < 0 ? "" : k ? ", kernel mode" : ", user mode");
	}
	for (v = 0; v < HVS_VTL_COUNT; v++) {
		os_id o;
		if (!(pi.guest_os_id_mask >> v & 1))
			continue;
		decode_os_id(pi.guest_os_id[v], &o);
		if (pi.guest_os_id[v] == 0)
			printf("guest OS VTL%u: 0 (not reported: no enlightened OS)\n", v);
		else if (o.open_source)
			printf("guest OS VTL%u: 0x%016" PRIx64 ": open source, %s, version 0x%" PRIx64
			       "\n", v, pi.guest_os_id[v], os_name(&o), o.version);
		else
			printf("guest OS VTL%u: 0x%016" PRIx64 ": %s %s %u.%u build %u (service %u)\n",
			       v, pi.guest_os_id[v], os_vendor_name(&o), os_name(&o), o.major, o.minor,
			       o.build, o.service);
	}
	if (w->found)
		printf("windows:       %u.%u build %u (from %s; kernel at 0x%016" PRIx64 ")\n",
		       w->v.major, w->v.minor, w->v.build, w->v.source, w->kernel_base);
	for (i = 0; i < nr; i++)
		bytes += r[i].size;
	/* Sizes below 1 MiB in KiB, so a pruned core does not read "0 MiB". */
	if (bytes >= (1u << 20) || bytes == 0)
		printf("memory:        %zu range%s, %" PRIu64 " pages (%" PRIu64 " MiB)\n", nr,
		       nr == 1 ? "" : "s", bytes / 4096, bytes >> 20);
	else
		printf("memory:        %zu range%s, %" PRIu64 " pages (%" PRIu64 " KiB)\n", nr,
		       nr == 1 ? "" : "s", bytes / 4096, bytes >> 10);
	printf("raw saved:     %" PRIu64 " bytes\n", hvs_image_raw_size(img));
	printf("layout:        %s\n", layout_source(img));
	/* A sparse core can have hundreds of ranges: the summary shows the
	 * first ones; `hvs mem` (and --json here) lists them all. */
	for (i = 0; i < nr && i < INFO_MAX_RANGES; i++)
		printf("  [0x%016" PRIx64 ", 0x%016" PRIx64 ")  %" PRIu64 " pages at raw 0x%" PRIx64
		       "\n", r[i].gpa, r[i].gpa + r[i].size, r[i].size / 4096, r[i].raw_offset);
	if (nr > INFO_MAX_RANGES)
		printf("  ... %zu more ranges (hvs mem lists them all)\n", nr - INFO_MAX_RANGES);
	nsum = summarize_chunks(img, &cs, &ndec);
	if (hvs_image_chunk_count(img)) {
		printf("state chunks:  %zu (%zu decoded)\n", hvs_image_chunk_count(img), ndec);
		for (i = 0; i < nsum; i++)
			printf("  0x%08x %-28s x%-4zu %8" PRIu64 " bytes%s\n", cs[i].id,
			       cs[i].name ? cs[i].name : "(unknown)", cs[i].count, cs[i].bytes,
			       cs[i].decoded ? "" : "  (not decoded)");
	}
	free(cs);
}

/*
 * JSON form: the same facts; absent ones are null (not omitted) so that
 * consumers see a stable set of members.  Checked by the goldens
 * tests/golden/info_*.json.expect.
 */
static void print_json(hvs_image *img, const char *path, const winfo *w)
{
	hvs_partition_info pi;
	hvs_store *st = hvs_image_store(img);
	size_t nr = hvs_image_range_count(img), i, nsum, ndec;
	const hvs_mem_range *r = hvs_image_ranges(img);
	uint64_t bytes = 0;
	uint32_t vp, v;
	chunk_sum *cs;
	cli_json j;

	hvs_image_partition_info(img, &pi);
	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "file", path);
	json_str(&j, "format", hvs_image_format_name(hvs_image_get_format(img)));
	if (st) {
		hvs_store_info si;
		hvs_store_get_info(st, &si);
		json_obj_begin(&j, "container");
		json_hex(&j, "format_version", si.format_version);
		json_u64(&j, "keys", si.key_count);
		json_u64(&j, "key_tables", si.key_table_count);
		json_u64(&j, "replay_pending", si.replay_pending);
		json_obj_end(&j);
	} else {
		json_null(&j, "container");
	}
	if (pi.vm_version)
		json_hex(&j, "vm_version", pi.vm_version);
	else
		json_null(&j, "vm_version");
	json_str(&j, "arch", arch_name(pi.arch));
	if (pi.vendor != UINT32_MAX)
		json_str(&j, "cpu_vendor", vendor_name(pi.vendor));
	else
		json_null(&j, "cpu_vendor");
	json_u64(&j, "vp_count", hvs_image_vp_count(img));
	json_hex(&j, "vtl_mask", hvs_image_vp_count(img) ? pi.vtl_mask : 0);
	json_bool(&j, "nested_enabled", pi.nested_enabled);
	json_arr_begin(&j, "vps");
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		hvs_vp_info vi;
		hvs_paging_mode pm = HVS_PAGING_AUTO;
		int k = -1;
		if (hvs_image_vp_info(img, vp, &vi) != HVS_OK)
			continue;
		if (hvs_image_get_paging_mode(img, vp, &pm) != HVS_OK)
			pm = HVS_PAGING_AUTO;
		if (hvs_image_in_kernel(img, vp, &k) != HVS_OK)
			k = -1;
		json_obj_begin(&j, NULL);
		json_u64(&j, "index", vi.index);
		json_str(&j, "arch", arch_name(vi.arch));
		if (pm == HVS_PAGING_AUTO)
			json_null(&j, "paging_mode");
		else
			json_str(&j, "paging_mode", hvs_paging_mode_name(pm));
		json_hex(&j, "vtl_mask", vi.vtl_mask);
		json_u64(&j, "saved_vtl", vi.saved_vtl);
		json_u64(&j, "active_vtl", vi.active_vtl);
		if (k < 0)
			json_null(&j, "kernel_mode");
		else
			json_bool(&j, "kernel_mode", k);
		json_bool(&j, "nested_enabled", vi.nested_enabled);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "guest_os");
	for (v = 0; v < HVS_VTL_COUNT; v++) {
		os_id o;
		if (!(pi.guest_os_id_mask >> v & 1))
			continue;
		decode_os_id(pi.guest_os_id[v], &o);
		json_obj_begin(&j, NULL);
		json_u64(&j, "vtl", v);
		json_hex(&j, "id", pi.guest_os_id[v]);
		json_bool(&j, "open_source", o.open_source);
		json_str(&j, "vendor", os_vendor_name(&o));
		json_str(&j, "os", os_name(&o));
		if (o.open_source) {
			json_hex(&j, "version", o.version);
		} else {
			json_u64(&j, "major", o.major);
			json_u64(&j, "minor", o.minor);
			json_u64(&j, "service", o.service);
			json_u64(&j, "build", o.build);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	/* Present only for a Windows guest (other outputs stay as they were). */
	if (w->found) {
		json_obj_begin(&j, "windows");
		json_u64(&j, "major", w->v.major);
		json_u64(&j, "minor", w->v.minor);
		json_u64(&j, "build", w->v.build);
		json_hex(&j, "build_raw", w->v.build_raw);
		json_str(&j, "source", w->v.source);
		json_hex(&j, "kernel_base", w->kernel_base);
		json_obj_end(&j);
	}
	for (i = 0; i < nr; i++)
		bytes += r[i].size;
	json_obj_begin(&j, "memory");
	json_u64(&j, "page_size", 4096);
	json_u64(&j, "range_count", nr);
	json_u64(&j, "pages", bytes / 4096);
	json_u64(&j, "bytes", bytes);
	json_u64(&j, "raw_size", hvs_image_raw_size(img));
	json_str(&j, "layout", layout_source(img));
	json_arr_begin(&j, "ranges");
	for (i = 0; i < nr; i++) {
		json_obj_begin(&j, NULL);
		json_hex(&j, "start", r[i].gpa);
		json_hex(&j, "end", r[i].gpa + r[i].size);
		json_u64(&j, "pages", r[i].size / 4096);
		json_hex(&j, "raw_offset", r[i].raw_offset);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	nsum = summarize_chunks(img, &cs, &ndec);
	json_obj_begin(&j, "chunks");
	json_u64(&j, "count", hvs_image_chunk_count(img));
	json_u64(&j, "decoded", ndec);
	json_arr_begin(&j, "kinds");
	for (i = 0; i < nsum; i++) {
		json_obj_begin(&j, NULL);
		json_hex(&j, "id", cs[i].id);
		json_str(&j, "name", cs[i].name);
		json_u64(&j, "count", cs[i].count);
		json_u64(&j, "bytes", cs[i].bytes);
		json_bool(&j, "decoded", cs[i].decoded);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	free(cs);
	json_obj_end(&j);
	json_end(&j);
}

int cmd_info(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0, rc = CLI_EXIT_USAGE;
	cli_vpopts vo;
	hvs_image *img;
	const char *symbols = NULL;
	winfo w;

	cli_vpopts_init(&vo);
	vo.need_vp = 0;
	cli_opt_init(&st, "info", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, info_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_SYMBOLS: symbols = st.arg; break;
		case OPT_HELP: usage(stdout); rc = CLI_EXIT_OK; goto out;
		default: goto out;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("info", "expected one FILE");
		goto out;
	}
	rc = cli_vpopts_open(&vo, "info", st.pos[0], &img);
	if (rc != CLI_EXIT_OK)
		goto out;
	find_windows(img, symbols, &w);
	if (json)
		print_json(img, st.pos[0], &w);
	else
		print_text(img, st.pos[0], &w);
	hvs_image_close(img);
out:
	cli_vpopts_free(&vo);
	return rc;
}
