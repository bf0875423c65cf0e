# SPDX-License-Identifier: MIT
"""ctypes declarations of the libhvsavedstate C API (include/hvs/*.h).

Every structure below mirrors its C definition field by field, in order,
with the same types; tests/test_structs.py checks each one's size and
field offsets against the C compiler's (the hvs_py_layout helper built
with the library).  C enums are ``int``-sized on every ABI the library
supports, so they are declared ``c_int``.

The library is found, in this order, at:
  1. the path in the environment variable HVS_LIBRARY;
  2. the path recorded in ``_config.py`` when the package was copied into a
     build tree or installed by ``cmake --install``;
  3. its soname (``libhvsavedstate.so.0``, ``libhvsavedstate.0.dylib``,
     ``hvsavedstate.dll``) through the dynamic loader's search path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int,
                    c_int64, c_size_t, c_uint, c_uint8, c_uint16, c_uint32,
                    c_uint64, c_void_p)
from typing import List, Optional

c_enum = c_int

# ------------------------------------------------------------ constants
HVS_OK = 0
HVS_E_INVALID = -1
HVS_E_NOMEM = -2
HVS_E_IO = -3
HVS_E_CORRUPT = -4
HVS_E_UNSUPPORTED = -5
HVS_E_NOTPRESENT = -6
HVS_E_NODATA = -7
HVS_E_NOTFOUND = -8
HVS_E_BUFSIZE = -9

HVS_ERRMSG_MAX = 512
HVS_VTL_ACTIVE = -1
HVS_VTL_COUNT = 16
HVS_XLAT_MAX_STEPS = 6
HVS_XLAT_MAP_MERGE = 0x1
HVS_XLAT_MAP_STRICT = 0x2
HVS_OPEN_NO_REPLAY = 0x1

HVS_SPACE_GPA = 0
HVS_SPACE_GVA = 1
HVS_SPACE_RAW = 2

# ------------------------------------------------------------ structures


class hvs_allocator(Structure):
    _fields_ = [("malloc", c_void_p), ("realloc", c_void_p), ("free", c_void_p),
                ("ud", c_void_p)]


# void (*problem)(void *ud, hvs_status kind, uint64_t offset, const char *msg)
PROBLEM_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_uint64, c_char_p)


class hvs_open_opts(Structure):
    _fields_ = [
        ("alloc", POINTER(hvs_allocator)),
        ("errbuf", POINTER(c_char)),
        ("errbuf_size", c_size_t),
        ("flags", c_uint32),
        ("problem", PROBLEM_FN),
        ("problem_ud", c_void_p),
        ("reason", POINTER(c_enum)),
    ]


class hvs_mem_range(Structure):
    _fields_ = [("gpa", c_uint64), ("size", c_uint64), ("raw_offset", c_uint64)]


class hvs_raw_extent(Structure):
    _fields_ = [("gpa", c_uint64), ("size", c_uint64), ("file_offset", c_uint64)]


class hvs_image_opts(Structure):
    _fields_ = [
        ("base", hvs_open_opts),
        ("format", c_enum),
        ("vsv_path", c_char_p),
        ("raw_layout", POINTER(hvs_raw_extent)),
        ("raw_layout_count", c_size_t),
        ("cache_blocks", c_uint64),
    ]


class hvs_partition_info(Structure):
    _fields_ = [
        ("arch", c_enum),
        ("vendor", c_uint32),
        ("vtl_mask", c_uint32),
        ("guest_os_id_mask", c_uint32),
        ("guest_os_id", c_uint64 * HVS_VTL_COUNT),
        ("vm_version", c_uint32),
        ("nested_enabled", c_int),
    ]


class hvs_vp_info(Structure):
    _fields_ = [
        ("index", c_uint32),
        ("arch", c_enum),
        ("vtl_mask", c_uint32),
        ("saved_vtl", c_uint32),
        ("active_vtl", c_uint32),
        ("nested_enabled", c_int),
        ("in_nested_guest", c_int),
        ("nested_host_mode", c_int),
    ]


class hvs_regval(Structure):
    _fields_ = [("lo", c_uint64), ("hi", c_uint64)]


class hvs_paging_regs(Structure):
    _fields_ = [
        ("arch", c_enum),
        ("mode", c_enum),
        ("maxphyaddr", c_uint),
        ("cr0", c_uint64), ("cr3", c_uint64), ("cr4", c_uint64), ("efer", c_uint64),
        ("ttbr0", c_uint64), ("ttbr1", c_uint64), ("tcr", c_uint64), ("sctlr", c_uint64),
        ("have", c_uint32),
        ("cpl", c_uint32),
        ("ss_attr", c_uint32),
        ("cs_sel", c_uint32),
        ("pstate", c_uint64),
    ]


class hvs_xlat_fault(Structure):
    _fields_ = [("kind", c_enum), ("level", c_int), ("entry_gpa", c_uint64),
                ("entry", c_uint64)]


class hvs_xlat_step(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("level", c_int),
        ("entry_gpa", c_uint64),
        ("entry", c_uint64),
        ("span", c_uint64),
        ("flags", c_uint32),
    ]


class hvs_xlat_walk(Structure):
    _fields_ = [
        ("gva", c_uint64),
        ("done", c_int),
        ("gpa", c_uint64),
        ("page_size", c_uint64),
        ("flags", c_uint32),
        ("unmapped_size", c_uint64),
        ("fault", hvs_xlat_fault),
        ("nsteps", c_uint),
        ("steps", hvs_xlat_step * HVS_XLAT_MAX_STEPS),
        ("priv_table", c_uint64),
        ("priv_va", c_uint64),
        ("priv_level", c_int),
        ("priv_half", c_int),
    ]


class hvs_xlat_region(Structure):
    _fields_ = [("gva", c_uint64), ("gpa", c_uint64), ("size", c_uint64),
                ("flags", c_uint32)]


REGION_FN = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(hvs_xlat_region))


class hvs_store_info(Structure):
    _fields_ = [
        ("format_version", c_uint32),
        ("data_version", c_uint32),
        ("flags", c_uint32),
        ("alignment", c_uint32),
        ("active_header", c_uint32),
        ("header_sequence", c_uint32),
        ("replay_log_offset", c_uint64),
        ("replay_log_size", c_uint64),
        ("replay_pending", c_uint32),
        ("replay_applied", c_uint32),
        ("object_table_count", c_uint32),
        ("key_table_count", c_uint32),
        ("file_object_count", c_uint32),
        ("entry_count", c_uint64),
        ("key_count", c_uint64),
        ("file_size", c_uint64),
    ]


class hvs_key_info(Structure):
    _fields_ = [
        ("type", c_enum),
        ("raw_type", c_uint8),
        ("flags", c_uint8),
        ("table_index", c_uint16),
        ("entry_offset", c_uint32),
        ("file_offset", c_uint64),
        ("entry_size", c_uint32),
        ("insertion_seq", c_uint32),
        ("value_size", c_uint64),
        ("value_offset", c_uint64),
        ("is_file_object", c_int),
        ("node_change_seq", c_uint64),
        ("node_next_insertion", c_uint32),
    ]


class hvs_vmrs_writer_opts(Structure):
    _fields_ = [
        ("alloc", POINTER(hvs_allocator)),
        ("errbuf", POINTER(c_char)),
        ("errbuf_size", c_size_t),
        ("arch", c_enum),
        ("vendor", c_enum),
        ("vm_version", c_uint32),
        ("encoding", c_enum),
        ("savedstate_type", c_char_p),
    ]


#: Every mirrored structure by its C name (for the layout test).
STRUCTS = {
    "hvs_allocator": hvs_allocator,
    "hvs_open_opts": hvs_open_opts,
    "hvs_mem_range": hvs_mem_range,
    "hvs_raw_extent": hvs_raw_extent,
    "hvs_image_opts": hvs_image_opts,
    "hvs_partition_info": hvs_partition_info,
    "hvs_vp_info": hvs_vp_info,
    "hvs_regval": hvs_regval,
    "hvs_paging_regs": hvs_paging_regs,
    "hvs_xlat_fault": hvs_xlat_fault,
    "hvs_xlat_step": hvs_xlat_step,
    "hvs_xlat_walk": hvs_xlat_walk,
    "hvs_xlat_region": hvs_xlat_region,
    "hvs_store_info": hvs_store_info,
    "hvs_key_info": hvs_key_info,
    "hvs_vmrs_writer_opts": hvs_vmrs_writer_opts,
}

# ------------------------------------------------------------ loading


def _candidates() -> List[str]:
    out: List[str] = []
    env = os.environ.get("HVS_LIBRARY")
    if env:
        return [env]  # explicit choice: no silent fallback
    try:
        from . import _config  # written by CMake (build tree / install)
        lib = getattr(_config, "LIBRARY", "")
        if lib and os.path.exists(lib):
            out.append(lib)
    except ImportError:
        pass
    if sys.platform == "win32":
        out.append("hvsavedstate.dll")
    elif sys.platform == "darwin":
        out.append("libhvsavedstate.0.dylib")
    else:
        out.append("libhvsavedstate.so.0")
    found = ctypes.util.find_library("hvsavedstate")
    if found:
        out.append(found)
    return out


def _load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise OSError("hvsavedstate: cannot load libhvsavedstate ("
                  + "; ".join(errors) + "); set HVS_LIBRARY to its path")


lib = _load()


def _fn(name: str, restype, *argtypes) -> None:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


P = POINTER
_img = c_void_p
_fn("hvs_version", c_char_p)
_fn("hvs_strerror", c_char_p, c_int)
_fn("hvs_image_format_name", c_char_p, c_enum)
_fn("hvs_image_open", c_int, P(c_void_p), c_char_p, P(hvs_image_opts))
_fn("hvs_image_close", None, _img)
_fn("hvs_image_errmsg", c_char_p, _img)
_fn("hvs_image_get_format", c_enum, _img)
_fn("hvs_image_store", c_void_p, _img)
_fn("hvs_image_range_count", c_size_t, _img)
_fn("hvs_image_ranges", P(hvs_mem_range), _img)
_fn("hvs_image_raw_size", c_uint64, _img)
_fn("hvs_image_read", c_int, _img, c_enum, c_uint64, c_void_p, c_size_t, P(c_size_t))
_fn("hvs_image_gpa_to_raw", c_int, _img, c_uint64, P(c_uint64))
_fn("hvs_image_set_cache_limit", c_int, _img, c_uint64)
_fn("hvs_image_cache_limit", c_uint64, _img)
_fn("hvs_image_partition_info", None, _img, P(hvs_partition_info))
_fn("hvs_image_vp_count", c_uint32, _img)
_fn("hvs_image_vp_info", c_int, _img, c_uint32, P(hvs_vp_info))
_fn("hvs_image_get_reg", c_int, _img, c_uint32, c_int, c_enum, P(hvs_regval))
_fn("hvs_image_set_reg", c_int, _img, c_uint32, c_int, c_enum, P(hvs_regval))
_fn("hvs_image_add_vps", c_int, _img, c_uint32, c_enum)
_fn("hvs_image_set_active_vtl", c_int, _img, c_uint32, c_uint32)
_fn("hvs_image_set_arch", c_int, _img, c_uint32, c_enum)
_fn("hvs_image_in_kernel", c_int, _img, c_uint32, P(c_int))
_fn("hvs_image_set_paging_mode", c_int, _img, c_uint32, c_enum)
_fn("hvs_image_get_paging_mode", c_int, _img, c_uint32, P(c_enum))
_fn("hvs_vp_paging_regs", c_int, _img, c_uint32, P(hvs_paging_regs), P(c_uint))
_fn("hvs_vp_translate", c_int, _img, c_uint32, c_uint64, P(c_uint64), P(c_uint64),
    P(c_uint64))
_fn("hvs_vp_last_fault", P(hvs_xlat_fault), _img, c_uint32)
_fn("hvs_vp_read", c_int, _img, c_uint32, c_uint64, c_void_p, c_size_t, P(c_size_t))
_fn("hvs_vp_trace", c_int, _img, c_uint32, c_uint64, P(hvs_xlat_walk))
_fn("hvs_vp_map_walk", c_int, _img, c_uint32, c_uint64, c_uint64, c_uint, REGION_FN,
    c_void_p)
_fn("hvs_vp_flush", None, _img)
_fn("hvs_reg_name", c_char_p, c_enum)
_fn("hvs_reg_kind", c_enum, c_enum)
_fn("hvs_reg_arch", c_enum, c_enum)
_fn("hvs_reg_lookup", c_int, c_char_p, P(c_enum))
_fn("hvs_arch_name", c_char_p, c_enum)
_fn("hvs_paging_mode_name", c_char_p, c_enum)
_fn("hvs_xlat_fault_name", c_char_p, c_enum)
# store
_st = c_void_p
_key = c_void_p
_fn("hvs_store_open_file", c_int, P(c_void_p), c_char_p, P(hvs_open_opts))
_fn("hvs_store_close", None, _st)
_fn("hvs_store_errmsg", c_char_p, _st)
_fn("hvs_store_get_info", None, _st, P(hvs_store_info))
_fn("hvs_store_root", _key, _st)
_fn("hvs_store_find", c_int, _st, c_char_p, P(c_void_p))
_fn("hvs_key_child_count", c_size_t, _key)
_fn("hvs_key_child", _key, _key, c_size_t)
_fn("hvs_key_parent", _key, _key)
_fn("hvs_key_name", c_char_p, _key)
_fn("hvs_key_ordinal", c_size_t, _key)
_fn("hvs_key_get_type", c_enum, _key)
_fn("hvs_key_type_name", c_char_p, c_enum)
_fn("hvs_key_value_size", c_uint64, _key)
_fn("hvs_key_get_info", None, _key, P(hvs_key_info))
_fn("hvs_key_path", c_int, _key, c_void_p, c_size_t, P(c_size_t))
_fn("hvs_key_get_int", c_int, _st, _key, P(c_int64))
_fn("hvs_key_get_uint", c_int, _st, _key, P(c_uint64))
_fn("hvs_key_get_double", c_int, _st, _key, P(c_double))
_fn("hvs_key_get_bool", c_int, _st, _key, P(c_int))
_fn("hvs_key_get_string", c_int, _st, _key, c_void_p, c_size_t, P(c_size_t))
_fn("hvs_key_read", c_int, _st, _key, c_uint64, c_void_p, c_size_t, P(c_size_t))
# vmrs writer
_w = c_void_p
_fn("hvs_vmrs_writer_create", c_int, P(c_void_p), c_char_p, P(hvs_vmrs_writer_opts))
_fn("hvs_vmrs_writer_errmsg", c_char_p, _w)
_fn("hvs_vmrs_writer_add_vp", c_int, _w, c_uint32, c_uint32)
_fn("hvs_vmrs_writer_set_active_vtl", c_int, _w, c_uint32, c_uint32)
_fn("hvs_vmrs_writer_set_reg", c_int, _w, c_uint32, c_uint32, c_enum, P(hvs_regval))
_fn("hvs_vmrs_writer_set_guest_os_id", c_int, _w, c_uint32, c_uint64)
_fn("hvs_vmrs_writer_add_range", c_int, _w, c_uint64, c_uint64)
_fn("hvs_vmrs_writer_write_memory", c_int, _w, c_void_p, c_size_t)
_fn("hvs_vmrs_writer_finish", c_int, _w)
_fn("hvs_vmrs_writer_close", None, _w)

# ------------------------------------------------------------ PE scan, symbols


class hvs_pe_found(Structure):
    _fields_ = [
        ("base", c_uint64),
        ("size", c_uint32),
        ("timestamp", c_uint32),
        ("machine", c_uint16),
        ("standalone", c_int),
        ("name", c_char_p),
        ("has_codeview", c_int),
        ("pdb_name", c_char_p),
        ("guid", c_uint8 * 16),
        ("age", c_uint32),
    ]


class hvs_pe_scan_stats(Structure):
    _fields_ = [("mapped_bytes", c_uint64), ("pages_read", c_uint64),
                ("pages_missing", c_uint64), ("candidates", c_uint64),
                ("images", c_uint64), ("table_gaps", c_uint64)]


PE_FOUND_FN = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(hvs_pe_found))
SYM_MSG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p)


class hvs_sym_opts(Structure):
    _fields_ = [
        ("alloc", POINTER(hvs_allocator)),
        ("symbol_path", c_char_p),
        ("default_store", c_char_p),
        ("vp", c_uint32),
        ("flags", c_uint32),
        ("msg", SYM_MSG_FN),
        ("msg_ud", c_void_p),
        ("errbuf", POINTER(c_char)),
        ("errbuf_size", c_size_t),
    ]


class hvs_sym_module(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("image_name", c_char_p),
        ("pdb_name", c_char_p),
        ("pdb_path", c_char_p),
        ("base", c_uint64),
        ("size", c_uint32),
        ("timestamp", c_uint32),
        ("guid", c_uint8 * 16),
        ("age", c_uint32),
        ("has_cv", c_int),
        ("loaded", c_int),
        ("is_kernel", c_int),
        ("from_list", c_int),
    ]


class hvs_sym_global(Structure):
    _fields_ = [("va", c_uint64), ("size", c_uint64), ("module", c_char_p),
                ("type_name", c_char_p)]


class hvs_sym_field(Structure):
    _fields_ = [("name", c_char_p), ("offset", c_uint64), ("size", c_uint64),
                ("type_name", c_char_p), ("bit_pos", c_uint32), ("bit_len", c_uint32)]


class hvs_sym_winver(Structure):
    _fields_ = [("major", c_uint32), ("minor", c_uint32), ("build", c_uint32),
                ("build_raw", c_uint32), ("source", c_char_p)]


SYM_FIELD_FN = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(hvs_sym_field))

STRUCTS.update({
    "hvs_pe_found": hvs_pe_found,
    "hvs_pe_scan_stats": hvs_pe_scan_stats,
    "hvs_sym_opts": hvs_sym_opts,
    "hvs_sym_module": hvs_sym_module,
    "hvs_sym_global": hvs_sym_global,
    "hvs_sym_field": hvs_sym_field,
    "hvs_sym_winver": hvs_sym_winver,
})

HVS_SYM_VP_AUTO = 0xFFFFFFFF
HVS_SYM_NO_ENV = 0x1
HVS_SYM_NO_DOWNLOAD = 0x2

_fn("hvs_pe_scan_vp", c_int, _img, c_uint32, c_uint64, c_uint64, P(c_uint64), c_size_t,
    PE_FOUND_FN, c_void_p, P(hvs_pe_scan_stats))
_fn("hvs_pe_format_guid", c_int, P(c_uint8), c_uint32, c_int, c_char_p, c_size_t)
_sym = c_void_p
_fn("hvs_sym_has_download", c_int)
_fn("hvs_sym_open", c_int, P(c_void_p), _img, P(hvs_sym_opts))
_fn("hvs_sym_close", None, _sym)
_fn("hvs_sym_errmsg", c_char_p, _sym)
_fn("hvs_sym_load_kernel", c_int, _sym)
_fn("hvs_sym_kernel", c_int, _sym, P(c_uint64), P(c_uint32))
_fn("hvs_sym_load_module", c_int, _sym, c_char_p, c_char_p, c_uint64, c_uint32, c_uint32)
_fn("hvs_sym_load_module_list", c_int, _sym)
_fn("hvs_sym_module_count", c_size_t, _sym)
_fn("hvs_sym_module_at", c_int, _sym, c_size_t, P(hvs_sym_module))
_fn("hvs_sym_find_module", c_int, _sym, c_char_p, P(c_size_t))
_fn("hvs_sym_module_load", c_int, _sym, c_size_t)
_fn("hvs_sym_resolve", c_int, _sym, c_char_p, P(hvs_sym_global))
_fn("hvs_sym_read", c_int, _sym, c_uint32, c_char_p, c_void_p, c_size_t, P(c_size_t))
_fn("hvs_sym_type_size", c_int, _sym, c_char_p, P(c_uint64))
_fn("hvs_sym_find_field", c_int, _sym, c_char_p, c_char_p, P(hvs_sym_field))
_fn("hvs_sym_fields", c_int, _sym, c_char_p, P(c_uint64), SYM_FIELD_FN, c_void_p)
_fn("hvs_sym_windows_version", c_int, _sym, P(hvs_sym_winver))

# ------------------------------------------------------------ conversion
HVS_E_CANCELED = -100
HVS_CONVERT_FORCE = 0x1
CONVERT_PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)


class hvs_convert_opts(Structure):
    _fields_ = [
        ("flags", c_uint32),
        ("dmp_type", c_int),
        ("progress", CONVERT_PROGRESS_FN),
        ("progress_ud", c_void_p),
        ("workers", c_uint),
        ("alloc", POINTER(hvs_allocator)),
    ]


class hvs_convert_underived(Structure):
    _fields_ = [("field", c_char_p), ("why", c_char_p)]


class hvs_convert_note(Structure):
    _fields_ = [("name", c_char_p), ("value", c_uint64)]


class hvs_convert_result(Structure):
    _fields_ = [
        ("format", c_enum),
        ("ranges", c_uint64),
        ("pages", c_uint64),
        ("memory_bytes", c_uint64),
        ("bytes_written", c_uint64),
        ("file_size", c_uint64),
        ("seconds", c_double),
        ("workers", c_uint),
        ("underived_count", c_size_t),
        ("underived", POINTER(hvs_convert_underived)),
        ("note_count", c_size_t),
        ("notes", POINTER(hvs_convert_note)),
        ("sidecar_path", c_char_p),
        ("errmsg", c_char * HVS_ERRMSG_MAX),
    ]


STRUCTS.update({
    "hvs_convert_opts": hvs_convert_opts,
    "hvs_convert_underived": hvs_convert_underived,
    "hvs_convert_note": hvs_convert_note,
    "hvs_convert_result": hvs_convert_result,
})

_fn("hvs_convert_format_name", c_char_p, c_enum)
_fn("hvs_convert_format_lookup", c_int, c_char_p, P(c_enum))
_fn("hvs_convert", c_int, _img, c_char_p, c_enum, P(hvs_convert_opts),
    P(P(hvs_convert_result)))
_fn("hvs_convert_result_free", None, P(hvs_convert_result))
_fn("hvs_convert_strerror", c_char_p, c_int)
