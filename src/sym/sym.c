/* SPDX-License-Identifier: MIT */
/*
 * The symbol provider (hvs/sym.h): modules and their names, loading a
 * module's PDB along the symbol path (symsrv.c), and the questions asked
 * of the PDBs: globals, type sizes, fields.  The kernel locator, the
 * module list and the Windows version are in kernel.c.
 * Rules and sources: docs/symbols.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/vp.h"
#include "sym/sym_int.h"
#include "util/platform.h"

/* Whether HTTP(S) stores can be downloaded from (compiled with libcurl). */
int hvs_sym_has_download(void)
{
	return hvs__symsrv_can_download();
}

/* ----------------------------------------------------- open and close */

/* The default downstream store (hvs_sym_opts.default_store): the given
 * one, $HVS_SYM_CACHE, else "hvs/sym" in the user's cache folder
 * ($XDG_CACHE_HOME or ~/.cache; %LOCALAPPDATA% on Windows). */
static char *default_store(const hvs__alloc *a, const char *given)
{
	char *env, *out = NULL;
	size_t n;
	if (given)
		return given[0] ? hvs__strdup(a, given) : NULL;
	env = hvs__getenv(a, "HVS_SYM_CACHE");
	if (env)
		return env;
	env = hvs__user_cache_dir(a);
	if (!env)
		return NULL;
	n = strlen(env) + sizeof "/hvs/sym";
	out = hvs__malloc(a, n);
	if (out)
		snprintf(out, n, "%s/hvs/sym", env);
	hvs__free(a, env);
	return out;
}

/*
 * Create a provider: options, the parsed symbol path, the default store.
 * Nothing is read from the guest or the disk yet, so opening is cheap and
 * cannot fail on a guest that is not Windows; hvs_sym_load_kernel() does
 * the work.
 */
hvs_status hvs_sym_open(hvs_sym **out, hvs_image *img, const hvs_sym_opts *o)
{
	hvs_sym_opts dflt;
	hvs__alloc a;
	hvs_sym *s;
	const char *path;
	char *envpath = NULL;
	hvs_status st;
	if (out)
		*out = NULL;
	if (!o) {
		memset(&dflt, 0, sizeof dflt);
		dflt.vp = HVS_SYM_VP_AUTO;
		o = &dflt;
	}
	if (!out || !img) {
		if (o->errbuf && o->errbuf_size)
			snprintf(o->errbuf, o->errbuf_size, "hvs_sym_open: NULL argument");
		return HVS_E_INVALID;
	}
	hvs__alloc_init(&a, o->alloc);
	s = hvs__calloc(&a, 1, sizeof *s);
	if (!s) {
		if (o->errbuf && o->errbuf_size)
			snprintf(o->errbuf, o->errbuf_size, "symbol provider: out of memory");
		return HVS_E_NOMEM;
	}
	s->a = a;
	s->img = img;
	s->flags = o->flags;
	s->vp_auto = o->vp == HVS_SYM_VP_AUTO;
	s->vp = s->vp_auto ? 0 : o->vp;
	s->msg = o->msg;
	s->msg_ud = o->msg_ud;
	if (!s->vp_auto && s->vp >= hvs_image_vp_count(img)) {
		st = hvs__err_set(&s->err, HVS_E_INVALID, "symbol provider: no VP %u", o->vp);
		goto fail;
	}
	path = o->symbol_path;
	if ((!path || !path[0]) && !(o->flags & HVS_SYM_NO_ENV)) {
		/* dbghelp's default (SymInitialize with no path):
		 * _NT_SYMBOL_PATH, then _NT_ALTERNATE_SYMBOL_PATH.  Its third
		 * source, the current directory, is left out on purpose
		 * (docs/symbols.md 2). */
		char *e1 = hvs__getenv(&s->a, "_NT_SYMBOL_PATH");
		char *e2 = hvs__getenv(&s->a, "_NT_ALTERNATE_SYMBOL_PATH");
		size_t n1 = e1 ? strlen(e1) : 0, n2 = e2 ? strlen(e2) : 0;
		envpath = hvs__malloc(&s->a, n1 + n2 + 2);
		if (envpath)
			snprintf(envpath, n1 + n2 + 2, "%s%s%s", e1 ? e1 : "", n1 && n2 ? ";" : "",
				 e2 ? e2 : "");
		hvs__free(&s->a, e1);
		hvs__free(&s->a, e2);
		if (!envpath) {
			st = hvs__err_set(&s->err, HVS_E_NOMEM, "symbol provider: out of memory");
			goto fail;
		}
		path = envpath;
	}
	st = hvs__sympath_parse(&s->path, path, &s->a, &s->err);
	if (st != HVS_OK)
		goto fail;
	s->default_store = default_store(&s->a, o->default_store);
	hvs__sym_say(s, "symbol path: %s", path && path[0] ? path : "(empty)");
	hvs__free(&s->a, envpath);
	*out = s;
	return HVS_OK;
fail:
	if (o->errbuf && o->errbuf_size)
		hvs__err_copyout(&s->err, o->errbuf, o->errbuf_size);
	hvs__sympath_free(&s->path, &s->a);
	hvs__free(&s->a, envpath);
	hvs__free(&a, s);
	return st;
}

/* Release what one module owns (its PDB and names), not the slot. */
static void mod_free(hvs_sym *s, hvs__sym_mod *m)
{
	hvs_pdb_close(m->pdb);
	hvs__free(&s->a, m->name);
	hvs__free(&s->a, m->image_name);
	hvs__free(&s->a, m->pdb_name);
	hvs__free(&s->a, m->pdb_path);
}

/* Release the provider, its modules, PDBs and cached type names. */
void hvs_sym_close(hvs_sym *s)
{
	size_t i;
	hvs__alloc a;
	if (!s)
		return;
	for (i = 0; i < s->nmods; i++)
		mod_free(s, &s->mods[i]);
	hvs__free(&s->a, s->mods);
	hvs__sympath_free(&s->path, &s->a);
	hvs__free(&s->a, s->default_store);
	for (i = 0; i < s->nnames; i++)
		hvs__free(&s->a, s->names[i].name);
	hvs__free(&s->a, s->names);
	hvs__free(&s->a, s->hidx);
	a = s->a;
	hvs__free(&a, s);
}

/* The message of the last failure. */
const char *hvs_sym_errmsg(const hvs_sym *s)
{
	return s ? s->err.msg : "NULL symbol provider";
}

/* Replace the message callback; later messages go to the new one. */
void hvs_sym_set_msg(hvs_sym *s, hvs_sym_msg_fn fn, void *ud)
{
	if (!s)
		return;
	s->msg = fn;
	s->msg_ud = ud;
}

/* ------------------------------------------------------------ modules */

/* Copy at most HVS__SYM_NAME_MAX bytes of @src (NULL stays NULL). */
static hvs_status dup_name(hvs_sym *s, char **dst, const char *src)
{
	size_t n;
	if (!src) {
		*dst = NULL;
		return HVS_OK;
	}
	n = strlen(src);
	if (n > HVS__SYM_NAME_MAX)
		n = HVS__SYM_NAME_MAX;
	*dst = hvs__malloc(&s->a, n + 1);
	if (!*dst)
		return hvs__err_set(&s->err, HVS_E_NOMEM, "symbol provider: out of memory");
	memcpy(*dst, src, n);
	(*dst)[n] = '\0';
	return HVS_OK;
}

/* @name without its extension (the part after the last '.'), folders cut. */
static hvs_status stem(hvs_sym *s, char **dst, const char *name)
{
	const char *b = hvs__sym_basename(name);
	const char *dot = strrchr(b, '.');
	char tmp[HVS__SYM_NAME_MAX + 1];
	size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	if (n > HVS__SYM_NAME_MAX)
		n = HVS__SYM_NAME_MAX;
	memcpy(tmp, b, n);
	tmp[n] = '\0';
	return dup_name(s, dst, tmp);
}

/*
 * Register a module by base.  Modules are identified by their base: the
 * same image reached twice (the module list and LoadSavedStateModuleSymbols,
 * or the list and the kernel locator) stays one module.
 */
hvs_status hvs__sym_add_module(hvs_sym *s, const char *name, const char *image_name,
			       uint64_t base, uint32_t size, size_t *out)
{
	hvs__sym_mod *m;
	size_t i;
	hvs_status st;
	/* One module per base: a second registration only fills in names. */
	for (i = 0; i < s->nmods; i++) {
		m = &s->mods[i];
		if (m->base != base)
			continue;
		if (!m->image_name && image_name)
			HVS_TRY(dup_name(s, &m->image_name, hvs__sym_basename(image_name)));
		*out = i;
		return HVS_OK;
	}
	if (s->nmods >= HVS__SYM_MAX_MODULES)
		return HVS_CORRUPT(&s->err, "more than %u modules", HVS__SYM_MAX_MODULES);
	st = hvs__grow(&s->a, (void **)&s->mods, &s->capmods, s->nmods + 1, sizeof *s->mods);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st, "symbol provider: out of memory");
	m = &s->mods[s->nmods];
	memset(m, 0, sizeof *m);
	m->base = base;
	m->size = size;
	st = dup_name(s, &m->image_name, image_name ? hvs__sym_basename(image_name) : NULL);
	if (st == HVS_OK) {
		if (name)
			st = dup_name(s, &m->name, name);
		else if (image_name)
			st = stem(s, &m->name, image_name);
		else {
			char tmp[32];
			/* WinDbg's name for a module it cannot name. */
			snprintf(tmp, sizeof tmp, "image%016" PRIx64, base);
			st = dup_name(s, &m->name, tmp);
		}
	}
	if (st != HVS_OK) {
		mod_free(s, m);
		return st;
	}
	*out = s->nmods++;
	return HVS_OK;
}

/*
 * Fill a module's identity from its PE headers in guest memory: the
 * TimeDateStamp, SizeOfImage when unknown, the export directory's DLL name
 * when no image name was given, and the CodeView record that names its PDB.
 * A malformed or absent image is "not found" for the caller: there is no
 * module at that base, whatever the bytes there are.
 */
hvs_status hvs__sym_read_cv(hvs_sym *s, hvs__sym_mod *m)
{
	hvs_pe *pe = NULL;
	const hvs_pe_codeview *cv;
	char err[HVS_ERRMSG_MAX];
	hvs_pe_opts po;
	hvs_status st;
	memset(&po, 0, sizeof po);
	po.alloc = s->a.a.malloc ? &s->a.a : NULL;
	po.errbuf = err;
	po.errbuf_size = sizeof err;
	err[0] = '\0';
	st = hvs_pe_open_vp(&pe, s->img, s->vp, m->base, &po);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st == HVS_E_CORRUPT ? HVS_E_NOTFOUND : st,
				    "no PE image at 0x%016" PRIx64 ": %s", m->base, err);
	m->timestamp = hvs_pe_get_headers(pe)->timestamp;
	if (!m->size)
		m->size = hvs_pe_get_headers(pe)->image_size;
	if (!m->image_name) {
		const hvs_pe_exports *ex;
		if (hvs_pe_get_exports(pe, &ex) == HVS_OK && ex->dll_name[0])
			dup_name(s, &m->image_name, hvs__sym_basename(ex->dll_name));
	}
	st = hvs_pe_get_codeview(pe, &cv);
	if (st == HVS_OK) {
		memcpy(m->guid, cv->guid, 16);
		m->age = cv->age;
		hvs__free(&s->a, m->pdb_name);
		st = dup_name(s, &m->pdb_name, hvs__sym_basename(cv->pdb_name));
		m->has_cv = st == HVS_OK;
	} else {
		st = hvs__err_set(&s->err, st, "image at 0x%016" PRIx64 ": no CodeView record: %s",
				  m->base, hvs_pe_errmsg(pe));
	}
	hvs_pe_close(pe);
	return st;
}

/* ------------------------------------------------ the PDB questions */

/* Most distinct type names kept per provider (each a few dozen bytes);
 * past it a type is reported without a name rather than growing further. */
#define SYM_NAME_CACHE_MAX 65536

/* A type name formatted once and kept until the provider closes, so the
 * strings of hvs_sym_global / hvs_sym_field stay valid as promised. */
/* Hash of a (PDB, type index) pair for the name cache. */
static size_t tname_hash(const hvs_pdb *pdb, uint32_t ti)
{
	uint64_t h = (uint64_t)(uintptr_t)pdb * 0x9E3779B97F4A7C15ull ^ ti;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return (size_t)(h ^ h >> 32);
}

/* Rebuild the open-addressing index of the name cache with @cap slots
 * (a power of two, at least twice the entries). */
static hvs_status tname_rehash(hvs_sym *s, size_t cap)
{
	uint32_t *h = hvs__calloc(&s->a, cap, sizeof *h);
	size_t i;
	if (!h)
		return HVS_E_NOMEM;
	for (i = 0; i < s->nnames; i++) {
		size_t k = tname_hash(s->names[i].pdb, s->names[i].ti) & (cap - 1);
		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = (uint32_t)(i + 1);
	}
	hvs__free(&s->a, s->hidx);
	s->hidx = h;
	s->hcap = cap;
	return HVS_OK;
}

static const char *type_name(hvs_sym *s, hvs_pdb *pdb, uint32_t ti)
{
	char buf[512];
	size_t k, len = 0;
	hvs__sym_tname *t;
	if (ti == 0)
		return NULL;
	/* A hash index, so that listing every field of every type of a big
	 * PDB stays linear in the number of names asked for. */
	if (s->hcap) {
		for (k = tname_hash(pdb, ti) & (s->hcap - 1); s->hidx[k]; k = (k + 1) & (s->hcap - 1)) {
			t = &s->names[s->hidx[k] - 1];
			if (t->pdb == pdb && t->ti == ti)
				return t->name;
		}
	}
	if (hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_C, buf, sizeof buf, &len) != HVS_OK &&
	    len < sizeof buf)
		return NULL;
	if (s->nnames >= SYM_NAME_CACHE_MAX)
		return NULL;
	if ((s->nnames + 1) * 2 > s->hcap &&
	    tname_rehash(s, s->hcap ? s->hcap * 2 : 64) != HVS_OK)
		return NULL;
	if (hvs__grow(&s->a, (void **)&s->names, &s->capnames, s->nnames + 1,
		      sizeof *s->names) != HVS_OK)
		return NULL;
	t = &s->names[s->nnames];
	t->name = hvs__strdup(&s->a, buf);
	if (!t->name)
		return NULL;
	t->pdb = pdb;
	t->ti = ti;
	s->nnames++;
	for (k = tname_hash(pdb, ti) & (s->hcap - 1); s->hidx[k]; k = (k + 1) & (s->hcap - 1))
		;
	s->hidx[k] = (uint32_t)s->nnames;
	return t->name;
}

/* Open a PDB file; the reason of a failure goes to @why. */
static hvs_status pdb_open_file(hvs_sym *s, hvs_pdb **out, const char *path, char *why,
				size_t whysize)
{
	hvs_open_opts o;
	memset(&o, 0, sizeof o);
	o.alloc = s->a.a.malloc ? &s->a.a : NULL;
	o.errbuf = why;
	o.errbuf_size = whysize;
	why[0] = '\0';
	return hvs_pdb_open_file(out, path, &o);
}

/* Whether @pdb is the one a CodeView record (GUID, age) names.  The age
 * of the record is the DBI age (the info stream's may be higher). */
static hvs_status pdb_match(hvs_pdb *pdb, const uint8_t guid[16], uint32_t age, char *why,
			    size_t whysize)
{
	hvs_pdb_info in;
	uint32_t a;
	char have[48], want[48];
	hvs_pdb_get_info(pdb, &in);
	a = in.dbi_age ? in.dbi_age : in.age;
	if (memcmp(in.guid, guid, 16) == 0 && a == age)
		return HVS_OK;
	hvs__symsrv_key(have, in.guid, a);
	hvs__symsrv_key(want, guid, age);
	snprintf(why, whysize, "GUID/age %s, the image wants %s", have, want);
	return HVS_E_NOTFOUND;
}

/* A global (data first, then procedures, then publics) of module @m. */
static hvs_status pdb_global(hvs_sym *s, hvs__sym_mod *m, const char *name, uint32_t *rva,
			     uint64_t *size, const char **tname)
{
	hvs_pdb_symbol sym;
	uint32_t kinds = HVS_PDB_SYMS_DATA | HVS_PDB_SYMS_PROC | 1u << HVS_PDB_SYM_PUBLIC;
	hvs_status st = hvs_pdb_find_symbol(m->pdb, name, kinds, &sym);
	if (st != HVS_OK) {
		if (st != HVS_E_NOTFOUND)
			hvs__err_set(&s->err, st, "%s: %s", m->pdb_path, hvs_pdb_errmsg(m->pdb));
		return st;
	}
	if (!sym.has_rva)
		return hvs__err_set(&s->err, HVS_E_CORRUPT, "%s: symbol %s at %04x:%08x lies in "
				    "no section", m->pdb_path, name, sym.segment, sym.offset);
	*rva = sym.rva;
	*size = sym.size;
	*tname = sym.kind == HVS_PDB_SYM_PUBLIC ? NULL : type_name(s, m->pdb, sym.type_index);
	return HVS_OK;
}

/* Size of a type of module @m. */
static hvs_status pdb_type_size(hvs_sym *s, hvs__sym_mod *m, const char *name,
				uint64_t *size)
{
	hvs_status st = hvs_pdb_type_size_by_name(m->pdb, name, size);
	if (st != HVS_OK && st != HVS_E_NOTFOUND)
		hvs__err_set(&s->err, st, "%s: %s", m->pdb_path, hvs_pdb_errmsg(m->pdb));
	return st;
}

/* Convert a PDB member into the provider's field. */
static void to_field(hvs_sym *s, hvs_pdb *pdb, const hvs_pdb_field *pf, hvs_sym_field *f)
{
	uint32_t ti = pf->type_index;
	memset(f, 0, sizeof *f);
	f->name = pf->name;
	f->offset = pf->offset;
	f->size = pf->size;
	if (pf->is_bitfield) {
		hvs_pdb_type t;
		/* Name the bitfield by its underlying integer type. */
		if (hvs_pdb_type_get(pdb, ti, &t) == HVS_OK && t.element)
			ti = t.element;
		f->bit_pos = pf->bit_pos;
		f->bit_len = pf->bit_len;
	}
	f->type_name = type_name(s, pdb, ti);
}

typedef struct fields_ctx {
	hvs_sym *s;
	hvs_pdb *pdb;
	hvs_sym_field_fn cb;
	void *ud;
	hvs_status st;
} fields_ctx;

static int on_pdb_field(void *ud, const hvs_pdb_field *pf)
{
	fields_ctx *c = ud;
	hvs_sym_field f;
	if (pf->is_static)
		return 0;
	to_field(c->s, c->pdb, pf, &f);
	c->st = c->cb(c->ud, &f);
	return c->st != HVS_OK;
}

/* Every data member of type @name of module @m (anonymous members and
 * base classes flattened, as `dt` shows them). */
static hvs_status pdb_fields(hvs_sym *s, hvs__sym_mod *m, const char *name, uint64_t *size,
			     hvs_sym_field_fn cb, void *ud)
{
	hvs_pdb_type t;
	fields_ctx c;
	hvs_status st = hvs_pdb_find_type(m->pdb, name, &t);
	if (st != HVS_OK) {
		if (st != HVS_E_NOTFOUND)
			hvs__err_set(&s->err, st, "%s: %s", m->pdb_path, hvs_pdb_errmsg(m->pdb));
		return st;
	}
	*size = t.size;
	if (t.kind != HVS_PDB_TYPE_STRUCT && t.kind != HVS_PDB_TYPE_CLASS &&
	    t.kind != HVS_PDB_TYPE_UNION && t.kind != HVS_PDB_TYPE_INTERFACE)
		return HVS_OK; /* a type without members: its size only */
	c.s = s;
	c.pdb = m->pdb;
	c.cb = cb;
	c.ud = ud;
	c.st = HVS_OK;
	st = hvs_pdb_foreach_field(m->pdb, t.ti, HVS_PDB_FIELDS_FLATTEN | HVS_PDB_FIELDS_BASES,
				   on_pdb_field, &c);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st, "%s: type %s: %s", m->pdb_path, name,
				    hvs_pdb_errmsg(m->pdb));
	return c.st;
}

/* One field of type @name of module @m (anonymous members, base classes
 * and dotted paths as hvs_pdb_find_field()). */
static hvs_status pdb_field(hvs_sym *s, hvs__sym_mod *m, const char *name,
			    const char *field, hvs_sym_field *out)
{
	hvs_pdb_field pf;
	hvs_status st = hvs_pdb_find_field(m->pdb, name, field, &pf);
	if (st != HVS_OK) {
		if (st != HVS_E_NOTFOUND)
			hvs__err_set(&s->err, st, "%s: %s", m->pdb_path, hvs_pdb_errmsg(m->pdb));
		return st;
	}
	to_field(s, m->pdb, &pf, out);
	return HVS_OK;
}

/* The candidate check of the store lookup: the file must be a PDB with
 * the wanted GUID and age.  A damaged candidate is remembered so that
 * "found only damaged files" can be told from "found nothing". */
typedef struct check_ctx {
	hvs_sym *s;
	const hvs__sym_mod *m;
	int damaged;
	char damage[HVS_ERRMSG_MAX];
} check_ctx;

/* Open a candidate and compare its GUID and age with the module's. */
static hvs_status check_pdb(void *ud, const char *path, char *why, size_t whysize)
{
	check_ctx *c = ud;
	hvs_pdb *pdb = NULL;
	hvs_status st = pdb_open_file(c->s, &pdb, path, why, whysize);
	if (st == HVS_E_CORRUPT || st == HVS_E_UNSUPPORTED) {
		if (!c->damaged)
			snprintf(c->damage, sizeof c->damage, "%s: %s", path, why);
		c->damaged = 1;
	}
	if (st != HVS_OK)
		return st;
	st = pdb_match(pdb, c->m->guid, c->m->age, why, whysize);
	hvs_pdb_close(pdb);
	return st;
}

/*
 * Load module @i's PDB: its CodeView record (read now if needed), a lookup
 * along the symbol path with the GUID/age check, then the PDB kept open
 * for the provider's lifetime.  A failure is remembered so that a name
 * lookup does not search the path (or the network) again for every name.
 */
hvs_status hvs__sym_load(hvs_sym *s, size_t i)
{
	hvs__sym_mod *m = &s->mods[i];
	hvs__symsrv_req req;
	check_ctx cc;
	char *path = NULL;
	char why[HVS_ERRMSG_MAX];
	hvs_status st;
	if (m->pdb)
		return HVS_OK;
	if (m->tried)
		return hvs__err_set(&s->err, m->load_status == HVS_OK ? HVS_E_NOTFOUND
								  : m->load_status,
				    "module %s: its symbols could not be loaded before", m->name);
	m->tried = 1;
	if (!m->has_cv) {
		st = hvs__sym_read_cv(s, m);
		if (st != HVS_OK) {
			m->load_status = st;
			return hvs__err_prefix(&s->err, st, "module %s", m->name);
		}
	}
	memset(&req, 0, sizeof req);
	memset(&cc, 0, sizeof cc);
	cc.s = s;
	cc.m = m;
	req.pdb_name = m->pdb_name;
	memcpy(req.guid, m->guid, 16);
	req.age = m->age;
	req.default_store = s->default_store;
	req.no_download = (s->flags & HVS_SYM_NO_DOWNLOAD) != 0;
	req.check = check_pdb;
	req.check_ud = &cc;
	req.msg = (hvs__symsrv_msg_fn)s->msg;
	req.msg_ud = s->msg_ud;
	hvs__sym_say(s, "module %s: looking for %s", m->name, m->pdb_name);
	st = hvs__symsrv_find(&path, &s->path, &req, &s->a, &s->err);
	if (st == HVS_E_NOTFOUND && cc.damaged)
		st = hvs__err_set(&s->err, HVS_E_CORRUPT, "%s: the only matching candidate is "
				  "damaged: %s", m->pdb_name, cc.damage);
	if (st != HVS_OK) {
		m->load_status = st;
		return hvs__err_prefix(&s->err, st, "module %s", m->name);
	}
	st = pdb_open_file(s, &m->pdb, path, why, sizeof why);
	if (st != HVS_OK) {
		hvs__free(&s->a, path);
		m->load_status = st;
		return hvs__err_set(&s->err, st, "module %s: %s", m->name, why);
	}
	m->pdb_path = path;
	m->load_status = HVS_OK;
	hvs__sym_say(s, "module %s: symbols from %s", m->name, path);
	return HVS_OK;
}

/*
 * Locate the kernel (kernel.c) once, make it module 0 named "nt", then
 * load its PDB.  After a failed PDB load the image stays located (the
 * Windows version can still be named) and a new call retries the PDB.
 */
hvs_status hvs_sym_load_kernel(hvs_sym *s)
{
	hvs_pe_found f;
	char pdb[HVS__SYM_NAME_MAX];
	size_t idx;
	hvs_status st;
	if (!s)
		return HVS_E_INVALID;
	if (s->kernel_located && s->mods[0].pdb)
		return HVS_OK;
	if (!s->kernel_located) {
		st = hvs__sym_find_kernel(s, &f, pdb, sizeof pdb);
		if (st != HVS_OK)
			return st;
		st = hvs__sym_add_module(s, "nt", NULL, f.base, f.size, &idx);
		if (st != HVS_OK)
			return st;
		/* The kernel is module 0, whatever was loaded before it. */
		if (idx != 0) {
			hvs__sym_mod k = s->mods[idx];
			memmove(s->mods + 1, s->mods, idx * sizeof *s->mods);
			s->mods[0] = k;
		}
		s->mods[0].is_kernel = 1;
		if (strcmp(s->mods[0].name, "nt") != 0) {
			hvs__free(&s->a, s->mods[0].name);
			HVS_TRY(dup_name(s, &s->mods[0].name, "nt"));
		}
		s->kernel_located = 1;
		/* The headers again: image name, timestamp, OS version. */
		{
			hvs_pe *pe;
			if (hvs_pe_open_vp(&pe, s->img, s->vp, f.base, NULL) == HVS_OK) {
				const hvs_pe_headers *h = hvs_pe_get_headers(pe);
				s->kernel_os_major = h->os_major;
				s->kernel_os_minor = h->os_minor;
				hvs_pe_close(pe);
			}
		}
		st = hvs__sym_read_cv(s, &s->mods[0]);
		if (st != HVS_OK)
			return st;
	}
	s->mods[0].tried = 0;
	return hvs__sym_load(s, 0);
}

/* Whether the kernel image was located, and where. */
int hvs_sym_kernel(const hvs_sym *s, uint64_t *base, uint32_t *size)
{
	if (!s || !s->kernel_located)
		return 0;
	if (base)
		*base = s->mods[0].base;
	if (size)
		*size = s->mods[0].size;
	return 1;
}

/*
 * LoadSavedStateModuleSymbols(Ex): register the image at @base (or find
 * it), check the timestamp the caller expects, take the caller's name for
 * it, and load its PDB (again, if an earlier attempt failed: the caller
 * asks explicitly).
 */
hvs_status hvs_sym_load_module(hvs_sym *s, const char *image_name,
			       const char *module_name, uint64_t base, uint32_t size,
			       uint32_t timestamp)
{
	size_t idx;
	hvs__sym_mod *m;
	hvs_status st;
	if (!s)
		return HVS_E_INVALID;
	st = hvs__sym_add_module(s, module_name, image_name, base, size, &idx);
	if (st != HVS_OK)
		return st;
	m = &s->mods[idx];
	if (!m->has_cv) {
		st = hvs__sym_read_cv(s, m);
		if (st != HVS_OK)
			return st;
	}
	if (timestamp && m->timestamp != timestamp)
		return hvs__err_set(&s->err, HVS_E_INVALID, "module %s: TimeDateStamp 0x%08x in "
				    "memory, 0x%08x expected", m->name, m->timestamp, timestamp);
	/* A name given now replaces a derived one. */
	if (module_name && strcmp(m->name, module_name) != 0 && !m->is_kernel) {
		hvs__free(&s->a, m->name);
		HVS_TRY(dup_name(s, &m->name, module_name));
	}
	m->tried = m->pdb ? 1 : 0;
	return hvs__sym_load(s, idx);
}

/* Number of registered modules. */
size_t hvs_sym_module_count(const hvs_sym *s)
{
	return s ? s->nmods : 0;
}

/* A module's public view (strings borrowed from the provider). */
hvs_status hvs_sym_module_at(const hvs_sym *s, size_t i, hvs_sym_module *out)
{
	const hvs__sym_mod *m;
	if (!s || !out || i >= s->nmods)
		return HVS_E_INVALID;
	m = &s->mods[i];
	memset(out, 0, sizeof *out);
	out->name = m->name;
	out->image_name = m->image_name;
	out->pdb_name = m->pdb_name;
	out->pdb_path = m->pdb ? m->pdb_path : NULL;
	out->base = m->base;
	out->size = m->size;
	out->timestamp = m->timestamp;
	memcpy(out->guid, m->guid, 16);
	out->age = m->age;
	out->has_cv = m->has_cv;
	out->loaded = m->pdb != NULL;
	out->is_kernel = m->is_kernel;
	out->from_list = m->from_list;
	return HVS_OK;
}

/* Load module @i's symbols unless that was tried already. */
hvs_status hvs_sym_module_load(hvs_sym *s, size_t i)
{
	if (!s || i >= s->nmods)
		return HVS_E_INVALID;
	if (!s->mods[i].has_cv)
		hvs__sym_read_cv(s, &s->mods[i]);
	return hvs__sym_load(s, i);
}

/* -------------------------------------------------------------- names */

/* Case-insensitive ASCII equality of @a and [b, b + n). */
static int ieqn(const char *a, const char *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (!x)
			return 0;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return a[n] == '\0';
}

/* Whether @m is called [name, name + n): its WinDbg name, the stem of
 * its image name, and for the kernel also "nt", "ntoskrnl" and the stem
 * of its PDB name. */
static int mod_named(const hvs__sym_mod *m, const char *name, size_t n)
{
	const char *cands[3];
	size_t k, c = 0;
	if (ieqn(m->name, name, n))
		return 1;
	cands[c++] = m->image_name;
	if (m->is_kernel) {
		if (ieqn("nt", name, n) || ieqn("ntoskrnl", name, n))
			return 1;
		cands[c++] = m->pdb_name;
	}
	for (k = 0; k < c; k++) {
		const char *x = cands[k], *dot;
		size_t len;
		if (!x)
			continue;
		dot = strrchr(x, '.');
		len = dot && dot != x ? (size_t)(dot - x) : strlen(x);
		if (len == n) {
			char tmp[HVS__SYM_NAME_MAX + 1];
			memcpy(tmp, x, len);
			tmp[len] = '\0';
			if (ieqn(tmp, name, n))
				return 1;
		}
	}
	return 0;
}

/*
 * Split "module!name"; find and load the module.  For an unqualified
 * name *idx is SIZE_MAX and *rest the whole name.
 */
/*
 * The module called [name, name + n): known modules first; then the
 * kernel's module list, read on demand the first time a module is not
 * known (WinDbg's `.reload` does the same for unloaded modules).
 */
static hvs_status find_mod(hvs_sym *s, const char *name, size_t n, size_t *idx)
{
	size_t i;
	int pass;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->nmods; i++) {
			if (mod_named(&s->mods[i], name, n)) {
				*idx = i;
				return HVS_OK;
			}
		}
		if (pass || s->list_loaded || !s->kernel_located || !s->mods[0].pdb)
			break;
		if (hvs_sym_load_module_list(s) != HVS_OK)
			hvs__sym_say(s, "%s", s->err.msg);
	}
	return hvs__err_set(&s->err, HVS_E_NOTFOUND, "no module named '%.*s'%s", (int)n, name,
			    s->kernel_located ? "" : " (the kernel was not located)");
}

static hvs_status split(hvs_sym *s, const char *full, size_t *idx, const char **rest)
{
	const char *bang = strchr(full, '!');
	size_t n;
	*idx = SIZE_MAX;
	*rest = full;
	if (!bang)
		return full[0] ? HVS_OK
			       : hvs__err_set(&s->err, HVS_E_INVALID, "empty name");
	n = (size_t)(bang - full);
	*rest = bang + 1;
	if (n == 0 || !bang[1])
		return hvs__err_set(&s->err, HVS_E_INVALID, "'%s': expected module!name", full);
	HVS_TRY(find_mod(s, full, n, idx));
	return hvs__sym_load(s, *idx);
}

/* Find a module by WinDbg name (the module list is read if needed). */
hvs_status hvs_sym_find_module(hvs_sym *s, const char *name, size_t *index)
{
	if (!s || !name || !index || !name[0])
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "find module: no name")
			 : HVS_E_INVALID;
	return find_mod(s, name, strlen(name), index);
}

/*
 * Run @fn on module @idx, or (SIZE_MAX) on the kernel and then every
 * other module whose PDB is open, until one answers other than NOTFOUND.
 */
typedef hvs_status (*per_mod_fn)(hvs_sym *s, hvs__sym_mod *m, const char *name, void *ud);

static hvs_status each_mod(hvs_sym *s, const char *full, per_mod_fn fn, void *ud,
			   const char *what)
{
	size_t idx, i;
	const char *name;
	hvs_status st = split(s, full, &idx, &name);
	if (st != HVS_OK)
		return st;
	if (idx != SIZE_MAX) {
		st = fn(s, &s->mods[idx], name, ud);
		if (st == HVS_E_NOTFOUND)
			return hvs__err_set(&s->err, st, "%s: no %s '%s' in %s", full, what, name,
					    s->mods[idx].pdb_path);
		return st;
	}
	{
		int any = 0;
		/* The kernel is module 0 when located: it is searched first. */
		for (i = 0; i < s->nmods; i++) {
			if (!s->mods[i].pdb)
				continue;
			any = 1;
			st = fn(s, &s->mods[i], name, ud);
			if (st != HVS_E_NOTFOUND)
				return st;
		}
		if (!any)
			return hvs__err_set(&s->err, HVS_E_NOTFOUND, "%s: no symbols are loaded",
					    full);
	}
	return hvs__err_set(&s->err, HVS_E_NOTFOUND, "no %s '%s' in the loaded symbols", what,
			    name);
}

/* ------------------------------------------------------------ globals */

/* Per-module step of hvs_sym_resolve(): RVA to VA with the module's base. */
static hvs_status global_in(hvs_sym *s, hvs__sym_mod *m, const char *name, void *ud)
{
	hvs_sym_global *g = ud;
	uint32_t rva = 0;
	hvs_status st = pdb_global(s, m, name, &rva, &g->size, &g->type_name);
	if (st != HVS_OK)
		return st;
	g->va = m->base + rva;
	g->module = m->name;
	return HVS_OK;
}

/* Resolve `Name` or `module!Name` (docs/symbols.md 3). */
hvs_status hvs_sym_resolve(hvs_sym *s, const char *name, hvs_sym_global *out)
{
	if (!s || !name || !out)
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "resolve: NULL argument")
			 : HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	return each_mod(s, name, global_in, out, "global");
}

/* Resolve a global and read it through a VP's page tables. */
hvs_status hvs_sym_read(hvs_sym *s, uint32_t vp, const char *name, void *buf,
			size_t len, size_t *done)
{
	hvs_sym_global g;
	hvs_status st;
	if (done)
		*done = 0;
	if (!s || (!buf && len))
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "read: NULL buffer")
			 : HVS_E_INVALID;
	if (vp == HVS_SYM_VP_AUTO)
		vp = s->vp;
	if (vp >= hvs_image_vp_count(s->img))
		return hvs__err_set(&s->err, HVS_E_INVALID, "read: no VP %u", vp);
	HVS_TRY(hvs_sym_resolve(s, name, &g));
	st = hvs_vp_read(s->img, vp, g.va, buf, len, done);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st, "%s at 0x%016" PRIx64 ": %s", name, g.va,
				    hvs_image_errmsg(s->img));
	return HVS_OK;
}

/* A kernel global for kernel.c, without the name parsing of resolve. */
hvs_status hvs__sym_kernel_global(hvs_sym *s, const char *name, uint64_t *va,
				  uint64_t *size)
{
	hvs_sym_global g;
	hvs_status st;
	if (!s->kernel_located || !s->mods[0].pdb)
		return hvs__err_set(&s->err, HVS_E_NOTFOUND, "kernel symbols are not loaded");
	memset(&g, 0, sizeof g);
	st = global_in(s, &s->mods[0], name, &g);
	if (st != HVS_OK)
		return hvs__err_set(&s->err, st, "no kernel global '%s'", name);
	*va = g.va;
	if (size)
		*size = g.size;
	return HVS_OK;
}

/* -------------------------------------------------------------- types */

static hvs_status size_in(hvs_sym *s, hvs__sym_mod *m, const char *name, void *ud)
{
	return pdb_type_size(s, m, name, ud);
}

/* Size of a type by name (module-qualified or not). */
hvs_status hvs_sym_type_size(hvs_sym *s, const char *type, uint64_t *size)
{
	if (!s || !type || !size)
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "type size: NULL argument")
			 : HVS_E_INVALID;
	*size = 0;
	return each_mod(s, type, size_in, size, "type");
}

typedef struct fields_args {
	hvs_sym_field_fn cb;
	void *ud;
	uint64_t *size;
} fields_args;

static hvs_status fields_in(hvs_sym *s, hvs__sym_mod *m, const char *name, void *ud)
{
	fields_args *fa = ud;
	return pdb_fields(s, m, name, fa->size, fa->cb, fa->ud);
}

/* Every field of a type, in declaration order (dt). */
hvs_status hvs_sym_fields(hvs_sym *s, const char *type, uint64_t *size,
			  hvs_sym_field_fn cb, void *ud)
{
	fields_args fa;
	uint64_t dummy;
	if (!s || !type || !cb)
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "fields: NULL argument")
			 : HVS_E_INVALID;
	fa.cb = cb;
	fa.ud = ud;
	fa.size = size ? size : &dummy;
	return each_mod(s, type, fields_in, &fa, "type");
}

typedef struct field_args {
	const char *field;
	hvs_sym_field *out;
} field_args;

static hvs_status field_in(hvs_sym *s, hvs__sym_mod *m, const char *name, void *ud)
{
	field_args *fa = ud;
	return pdb_field(s, m, name, fa->field, fa->out);
}

/* One field of a type, by exact name or dotted path. */
hvs_status hvs_sym_find_field(hvs_sym *s, const char *type, const char *field,
			      hvs_sym_field *out)
{
	field_args fa;
	hvs_status st;
	if (!s || !type || !field || !out)
		return s ? hvs__err_set(&s->err, HVS_E_INVALID, "find field: NULL argument")
			 : HVS_E_INVALID;
	fa.field = field;
	fa.out = out;
	st = each_mod(s, type, field_in, &fa, "type with that field");
	if (st == HVS_E_NOTFOUND)
		hvs__err_set(&s->err, st, "no field '%s' in a type '%s' of the loaded symbols",
			     field, type);
	return st;
}

/* A field offset of a kernel type for kernel.c (module list layout). */
hvs_status hvs__sym_kernel_field(hvs_sym *s, const char *type, const char *field,
				 uint64_t *offset)
{
	hvs_sym_field f;
	if (!s->kernel_located || !s->mods[0].pdb)
		return HVS_E_NOTFOUND;
	HVS_TRY(pdb_field(s, &s->mods[0], type, field, &f));
	*offset = f.offset;
	return HVS_OK;
}
