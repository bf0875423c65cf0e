/* SPDX-License-Identifier: MIT */
/*
 * The .vmrs backend of hvs_image (docs/format/savedstate.md; format.md 3,
 * 6): probe the HyperVStorage signature, open the container, pick the key
 * layout from the VM version, check that the file is a saved VM (and say
 * precisely what it is when it is not), then load memory (memory.c) and
 * processor state (partition.c).
 *
 * Open errors, from the most to the least specific (api.md 2.1 gives the
 * DLL's codes for comparison):
 *   - container unreadable but header signature fine and the tables look
 *     random -> HVS_E_UNSUPPORTED "encrypted saved state" (format.md 1:
 *     EncryptStateAndVmMigrationTraffic keeps the header in clear; the DLL
 *     fast-fails, we must not);
 *   - only /configuration -> HVS_E_NOTFOUND "configuration-only file";
 *   - no partition_state -> HVS_E_NOTFOUND (the DLL's
 *     PARTITION_STATE_NOT_FOUND, 0xC0370500);
 *   - partition_state but no RamMemoryBlock0 -> HVS_E_NOTFOUND "running
 *     VM / no memory" (GUEST_MEMORY_NOT_FOUND, 0xC0370501).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vmrs/savedstate_int.h"

/* HyperVStorage header signature (format.md 2.2). */
#define STORE_SIGNATURE 0x01282014u

int hvs__vmrs_probe(const uint8_t *head, size_t n)
{
	/*
	 * Either header copy will do (format.md 2.2): a torn write of copy 0
	 * leaves copy 1 at 0x1000 valid, and the store picks the valid one.
	 */
	return (n >= 4 && hvs__le32(head) == STORE_SIGNATURE) ||
	       (n >= 0x1004 && hvs__le32(head + 0x1000) == STORE_SIGNATURE);
}

double hvs__ss_entropy(const uint8_t *p, size_t n)
{
	size_t cnt[256] = { 0 }, i;
	double h = 0;
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		cnt[p[i]]++;
	for (i = 0; i < 256; i++)
		if (cnt[i]) {
			double q = (double)cnt[i] / (double)n;
			h -= q * log2(q);
		}
	return h;
}

const hvs_key *hvs__ss_find_v5(hvs_store *st, const char *name)
{
	const hvs_key *root = hvs_store_root(st), *k;
	char path[128];
	size_t len = strlen(name);
	/* 1. One root child carrying the whole name (as the .bin stores blob names). */
	k = hvs_key_find_child(root, name, 0);
	if (k)
		return k;
	/* 2. Nested keys: "RamBlock/3/" -> /RamBlock/3 (trailing '/' dropped). */
	if (len + 2 > sizeof path)
		return NULL;
	path[0] = '/';
	memcpy(path + 1, name, len + 1);
	if (len && path[len] == '/')
		path[len] = '\0';
	if (hvs_store_find(st, path, &k) != HVS_OK)
		return NULL;
	if (hvs_key_get_type(k) == HVS_KEY_NODE) {
		/* A node whose value sits in an unnamed child ("3/" + ""). */
		const hvs_key *c = hvs_key_find_child(k, "", 0);
		return c;
	}
	return k;
}

/* An Int or UInt key as a number; 0 when absent or of another type. */
static uint32_t key_version(hvs_store *st, const char *path)
{
	const hvs_key *k;
	int64_t iv;
	uint64_t uv;
	if (hvs_store_find(st, path, &k) != HVS_OK)
		return 0;
	if (hvs_key_get_type(k) == HVS_KEY_INT && hvs_key_get_int(st, k, &iv) == HVS_OK &&
	    iv > 0 && iv <= 0xFFFF)
		return (uint32_t)iv;
	if (hvs_key_get_type(k) == HVS_KEY_UINT && hvs_key_get_uint(st, k, &uv) == HVS_OK &&
	    uv <= 0xFFFF)
		return (uint32_t)uv;
	return 0;
}

/* Does @name contain "encrypt" (any case)? */
static int names_encryption(const char *name)
{
	static const char w[] = "encrypt";
	size_t j, m;
	for (j = 0; name[j]; j++) {
		for (m = 0; w[m] && name[j + m]; m++) {
			char c = name[j + m];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != w[m])
				break;
		}
		if (!w[m])
			return 1;
	}
	return 0;
}

/*
 * Is there an encryption-named key at the root or directly under
 * /savedstate?  The name of such a key is not known (no encrypted sample
 * was available, format.md 1), so any "*encrypt*" counts; /configuration
 * is not searched because VM settings may name the encryption option of
 * a VM whose saved state is in clear.
 */
static int has_encryption_key(hvs_store *st)
{
	const hvs_key *parents[2], *k;
	size_t p, i;
	parents[0] = hvs_store_root(st);
	parents[1] = hvs_store_find(st, "/savedstate", &k) == HVS_OK ? k : NULL;
	for (p = 0; p < 2; p++) {
		if (!parents[p])
			continue;
		for (i = 0; i < hvs_key_child_count(parents[p]); i++)
			if (names_encryption(hvs_key_name(hvs_key_child(parents[p], i))))
				return 1;
	}
	return 0;
}

/*
 * The container failed to open.  If its header signature is intact but
 * the object table at 0x2000 is indistinguishable from random bytes, the
 * payload is encrypted (format.md 1: entropy 8.0 bits/byte).
 */
static int looks_encrypted(hvs_image *img)
{
	uint8_t buf[4096];
	size_t got = 0;
	hvs_status s = img->src.read_at(img->src.ud, 0x2000, buf, sizeof buf, &got);
	if ((s != HVS_OK && s != HVS_E_NODATA) || got < 1024)
		return 0;
	/* A real object table is mostly zeros (empty slots): entropy < 3. */
	return hvs__ss_entropy(buf, got) > 7.5;
}

/* Open the container over img->src with the caller's allocator and sink. */
static hvs_status open_store(hvs_image *img, const hvs_source *src,
			     const hvs_image_opts *o, hvs_store **out, const char *what)
{
	hvs_open_opts so;
	char msg[HVS_ERRMSG_MAX];
	hvs_status s;
	memset(&so, 0, sizeof so);
	if (o) {
		so.alloc = o->base.alloc;
		so.flags = o->base.flags;
		so.problem = o->base.problem;
		so.problem_ud = o->base.problem_ud;
	}
	msg[0] = '\0';
	so.errbuf = msg;
	so.errbuf_size = sizeof msg;
	so.reason = &img->reason;
	s = hvs_store_open(out, src, &so);
	if (s == HVS_OK)
		return HVS_OK;
	*out = NULL;
	if (s == HVS_E_CORRUPT && src == &img->src && looks_encrypted(img)) {
		img->reason = HVS_REASON_ENCRYPTED;
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "encrypted saved state: the HyperVStorage header is readable "
				    "but the tables are not (%s)", msg);
	}
	return hvs__err_set(&img->err, s, "%s: %s", what, msg);
}

/*
 * Choose the key layout and find partition_state.  The VM version decides
 * (format.md 3.1: Microsoft's loader switches at 0x600); when the keys of
 * the other layout are the ones present, the keys win (a .vsv may lack
 * the version keys).
 */
static const hvs_key *find_partition(hvs__ss *ss)
{
	const hvs_key *k_new = NULL, *k_v5;
	hvs_store_find(ss->store, HVS_KEY_PARTITION_STATE, &k_new);
	k_v5 = hvs__ss_find_v5(ss->store, &HVS_KEY_PARTITION_STATE_V5[1]);
	if (ss->vm_version && ss->vm_version < HVS_VMVERSION_NEW_LAYOUT) {
		ss->layout = k_v5 || !k_new ? HVS__SS_LAYOUT_V5 : HVS__SS_LAYOUT_NEW;
	} else {
		ss->layout = k_new || !k_v5 ? HVS__SS_LAYOUT_NEW : HVS__SS_LAYOUT_V5;
	}
	return ss->layout == HVS__SS_LAYOUT_V5 ? k_v5 : k_new;
}

/* Explain a store that holds no partition state. */
static hvs_status no_partition(hvs_image *img, hvs__ss *ss)
{
	const hvs_key *k;
	int has_saved = hvs_store_find(ss->store, "/savedstate", &k) == HVS_OK;
	int has_saved_v5 = hvs_store_find(ss->store, "/savedVM", &k) == HVS_OK;
	int has_config = hvs_store_find(ss->store, "/configuration", &k) == HVS_OK;
	int has_rmb0 = hvs_store_find(ss->store, "/savedstate/RamMemoryBlock0", &k) == HVS_OK;

	if (has_encryption_key(ss->store)) {
		img->reason = HVS_REASON_ENCRYPTED;
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "encrypted saved state: no readable partition_state and "
				    "an encryption key is present");
	}
	img->reason = HVS_REASON_NO_PARTITION_STATE;
	if (!has_saved && !has_saved_v5 && has_config) {
		img->reason = HVS_REASON_CONFIG_ONLY;
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "configuration-only file: it holds /configuration (VM "
				    "settings, version 0x%x) but no /savedstate, so there is no "
				    "saved memory or processor state", ss->vm_version);
	}
	if (has_saved && !has_rmb0)
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "/savedstate has neither savedVM/partition_state nor "
				    "RamMemoryBlock0: the state file of a running VM, not a "
				    "saved VM");
	return hvs__err_set(&img->err, HVS_E_NOTFOUND,
			    "no /savedstate/savedVM/partition_state: not a saved VM "
			    "(configuration-only file or running VM?)");
}

hvs_status hvs__vmrs_open(hvs_image *img, const hvs_image_opts *o)
{
	hvs__ss *ss;
	const hvs_key *ps;
	hvs_status s;

	HVS_TRY(hvs__ss_new(img));
	img->ops = &hvs__ss_ops;   /* from here on, close releases img->be */
	ss = img->be;
	HVS_TRY(open_store(img, &img->src, o, &ss->store, "HyperVStorage container"));
	img->store = ss->store;

	/* /savedstate/VmVersion, else the configuration's version (format.md 3.1). */
	ss->vm_version = key_version(ss->store, HVS_KEY_VMVERSION);
	if (!ss->vm_version)
		ss->vm_version = key_version(ss->store, HVS_KEY_CONFIG_VERSION);
	img->part.vm_version = ss->vm_version;

	ps = find_partition(ss);
	if (!ps)
		return no_partition(img, ss);

	s = hvs__ss_load_memory(img);
	if (s == HVS_E_NOTFOUND)
		img->reason = HVS_REASON_NO_MEMORY;
	if (s == HVS_E_NOTFOUND && strcmp(img->err.msg, "no RamMemoryBlock0") == 0)
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "no %s: a running VM's state file or a checkpoint "
				    "without memory; there is no guest memory to read",
				    ss->layout == HVS__SS_LAYOUT_NEW ? "/savedstate/RamMemoryBlock0"
								     : "RamMemoryBlock/0/");
	if (s != HVS_OK)
		return hvs__err_prefix(&img->err, s, "guest memory");

	s = hvs__ss_load_partition(img, ss->store, ps);
	if (s != HVS_OK) {
		if (s == HVS_E_NOTFOUND && img->nvps == 0)
			img->reason = HVS_REASON_NO_VPS;
		if (s == HVS_E_CORRUPT && has_encryption_key(ss->store)) {
			char why[HVS_ERRMSG_MAX];
			img->reason = HVS_REASON_ENCRYPTED;
			memcpy(why, img->err.msg, sizeof why);
			return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
					    "encrypted saved state (partition_state does not "
					    "decode: %s)", why);
		}
		return hvs__err_prefix(&img->err, s, "%s",
				       ss->layout == HVS__SS_LAYOUT_NEW ? HVS_KEY_PARTITION_STATE
									: HVS_KEY_PARTITION_STATE_V5);
	}
	return HVS_OK;
}

/* Open the .vsv of a legacy pair as a container (legacy.c). */
hvs_status hvs__ss_open_vsv(hvs_image *img, const hvs_image_opts *o, const hvs_source *src)
{
	hvs__ss *ss = img->be;
	HVS_TRY(open_store(img, src, o, &ss->store, ".vsv container"));
	img->store = ss->store;
	ss->vm_version = key_version(ss->store, HVS_KEY_VMVERSION);
	if (!ss->vm_version)
		ss->vm_version = key_version(ss->store, HVS_KEY_CONFIG_VERSION);
	img->part.vm_version = ss->vm_version;
	return HVS_OK;
}

/* partition_state of an open .vsv, or NULL (layout chosen as for .vmrs). */
const hvs_key *hvs__ss_vsv_partition(hvs_image *img)
{
	return find_partition(img->be);
}
