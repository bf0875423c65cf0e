# SPDX-License-Identifier: MIT
"""PE image scanning (hvs/pe.h) and Windows symbols from PDBs (hvs/sym.h)."""
from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_size_t, c_uint32, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from . import _lib as L
from ._core import VP, HvsError, Image, _Closable, _s


def format_guid(guid: bytes, age: Optional[int] = None) -> str:
    """A CodeView GUID as Windows prints it, or with ``age`` as the
    symbol-store key (32 hex digits then the age)."""
    g = (ctypes.c_uint8 * 16)(*guid)
    buf = ctypes.create_string_buffer(50)
    st = L.lib.hvs_pe_format_guid(g, age or 0, 1 if age is not None else 0, buf, len(buf))
    if st != L.HVS_OK:
        raise HvsError(st, "GUID format")
    return _s(buf.value)


@dataclass(frozen=True)
class PeImage:
    """An image found by scan_images() (pe_name/pdb fields None when absent)."""
    base: int
    size: int
    timestamp: int
    machine: int
    standalone: bool
    name: Optional[str]
    pdb_name: Optional[str]
    guid: Optional[str]
    age: Optional[int]

    @property
    def symbol_store_key(self) -> Optional[str]:
        return None if self.guid is None else (
            self.guid.replace("-", "") + format(self.age or 0, "X"))


def scan_images(vp: VP, hi: int = 0xFFFFFFFFFFFFFFFF, lo: int = 0,
                at: Sequence[int] = (), stats: Optional[dict] = None) -> List[PeImage]:
    """Scan VP ``vp``'s address space for PE images, downwards from ``hi`` to
    ``lo``, after the candidate bases in ``at`` (hvs_pe_scan_vp; the SDK's
    ScanMemoryForDosImages).  ``stats``, when given, receives the counters."""
    out: List[PeImage] = []
    err: List[BaseException] = []

    def cb(_ud: Any, p: Any) -> int:
        try:
            f = p.contents
            cv = bool(f.has_codeview)
            out.append(PeImage(f.base, f.size, f.timestamp, f.machine, bool(f.standalone),
                               _s(f.name) if f.name else None,
                               _s(f.pdb_name) if cv else None,
                               format_guid(bytes(f.guid)) if cv else None,
                               f.age if cv else None))
            return 0
        except BaseException as e:  # never unwind through C
            err.append(e)
            return 1

    fn = L.PE_FOUND_FN(cb)
    arr = (c_uint64 * len(at))(*at) if at else None
    st_ = L.hvs_pe_scan_stats()
    s = L.lib.hvs_pe_scan_vp(vp.image.handle, vp.index, hi, lo, arr, len(at), fn, None,
                             byref(st_))
    if err:
        raise err[0]
    vp._fail(s)
    if stats is not None:
        stats.update({n: getattr(st_, n) for n, _ in L.hvs_pe_scan_stats._fields_})
    return out


@dataclass(frozen=True)
class Module:
    name: str
    image_name: Optional[str]
    pdb_name: Optional[str]
    pdb_path: Optional[str]
    base: int
    size: int
    timestamp: int
    guid: Optional[str]
    age: Optional[int]
    loaded: bool
    is_kernel: bool
    from_list: bool


@dataclass(frozen=True)
class Global:
    name: str
    va: int
    size: int
    module: str
    type_name: Optional[str]


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    size: int
    type_name: str
    bit_pos: int
    bit_len: int


@dataclass(frozen=True)
class WindowsVersion:
    major: int
    minor: int
    build: int
    build_raw: int
    source: str


def _opt(b: Optional[bytes]) -> Optional[str]:
    return _s(b) if b else None


class Symbols(_Closable):
    """A Windows symbol provider for an image (hvs_sym): locates the kernel,
    loads PDBs along a dbghelp-style symbol path, resolves globals and
    types.  ``symbol_path`` None takes $_NT_SYMBOL_PATH (unless
    ``use_env=False``).  A context manager; the image must stay open."""

    def __init__(self, image: Image, symbol_path: Optional[str] = None, *,
                 vp: Optional[int] = None, download: bool = True, use_env: bool = True,
                 default_store: Optional[str] = None) -> None:
        self.image = image
        self._h: Optional[int] = None
        err = ctypes.create_string_buffer(L.HVS_ERRMSG_MAX)
        o = L.hvs_sym_opts()
        self._keep = [symbol_path.encode() if symbol_path else None,
                      os.fsencode(default_store) if default_store else None]
        o.symbol_path = self._keep[0]
        o.default_store = self._keep[1]
        o.vp = L.HVS_SYM_VP_AUTO if vp is None else vp
        o.flags = (0 if download else L.HVS_SYM_NO_DOWNLOAD) | (0 if use_env else L.HVS_SYM_NO_ENV)
        o.errbuf = ctypes.cast(err, ctypes.POINTER(ctypes.c_char))
        o.errbuf_size = L.HVS_ERRMSG_MAX
        h = c_void_p()
        st = L.lib.hvs_sym_open(byref(h), image.handle, byref(o))
        if st != L.HVS_OK:
            raise HvsError(st, _s(err.value))
        self._h = h.value

    @property
    def handle(self) -> int:
        if self._h is None or self.image.closed:
            raise ValueError("operation on closed symbols (or a closed image)")
        return self._h

    def close(self) -> None:
        if self._h is not None:
            L.lib.hvs_sym_close(self._h)
            self._h = None

    def errmsg(self) -> str:
        return _s(L.lib.hvs_sym_errmsg(self.handle))

    def _fail(self, st: int, done: int = 0) -> None:
        if st != L.HVS_OK:
            raise HvsError(st, self.errmsg(), done)

    def load_kernel(self) -> None:
        self._fail(L.lib.hvs_sym_load_kernel(self.handle))

    def kernel(self) -> Optional[tuple]:
        """(base, size) of the located kernel, or None."""
        b, s = c_uint64(), c_uint32()
        return (b.value, s.value) if L.lib.hvs_sym_kernel(self.handle, byref(b), byref(s)) else None

    def load_module_list(self) -> None:
        self._fail(L.lib.hvs_sym_load_module_list(self.handle))

    def modules(self) -> List[Module]:
        out = []
        for i in range(L.lib.hvs_sym_module_count(self.handle)):
            m = L.hvs_sym_module()
            self._fail(L.lib.hvs_sym_module_at(self.handle, i, byref(m)))
            cv = bool(m.has_cv)
            out.append(Module(_s(m.name), _opt(m.image_name), _opt(m.pdb_name),
                              _opt(m.pdb_path), m.base, m.size, m.timestamp,
                              format_guid(bytes(m.guid)) if cv else None,
                              m.age if cv else None, bool(m.loaded), bool(m.is_kernel),
                              bool(m.from_list)))
        return out

    def resolve(self, name: str) -> Global:
        """A global: "Name" or "module!Name"."""
        g = L.hvs_sym_global()
        self._fail(L.lib.hvs_sym_resolve(self.handle, name.encode(), byref(g)))
        return Global(name, g.va, g.size, _s(g.module), _opt(g.type_name))

    def read(self, name: str, length: Optional[int] = None, vp: Optional[int] = None) -> bytes:
        """The bytes of a global (its size by default)."""
        if length is None:
            length = self.resolve(name).size
        buf = ctypes.create_string_buffer(length)
        done = c_size_t()
        self._fail(L.lib.hvs_sym_read(self.handle, L.HVS_SYM_VP_AUTO if vp is None else vp,
                                      name.encode(), buf, length, byref(done)), done.value)
        return buf.raw[:done.value]

    def type_size(self, type_name: str) -> int:
        n = c_uint64()
        self._fail(L.lib.hvs_sym_type_size(self.handle, type_name.encode(), byref(n)))
        return n.value

    def field(self, type_name: str, field: str) -> Field:
        f = L.hvs_sym_field()
        self._fail(L.lib.hvs_sym_find_field(self.handle, type_name.encode(), field.encode(),
                                            byref(f)))
        return Field(_s(f.name), f.offset, f.size, _s(f.type_name), f.bit_pos, f.bit_len)

    def fields(self, type_name: str) -> List[Field]:
        out: List[Field] = []
        err: List[BaseException] = []

        def cb(_ud: Any, p: Any) -> int:
            try:
                f = p.contents
                out.append(Field(_s(f.name), f.offset, f.size, _s(f.type_name), f.bit_pos,
                                 f.bit_len))
                return L.HVS_OK
            except BaseException as e:
                err.append(e)
                return L.HVS_E_INVALID

        fn = L.SYM_FIELD_FN(cb)
        st = L.lib.hvs_sym_fields(self.handle, type_name.encode(), None, fn, None)
        if err:
            raise err[0]
        self._fail(st)
        return out

    def windows_version(self) -> WindowsVersion:
        w = L.hvs_sym_winver()
        self._fail(L.lib.hvs_sym_windows_version(self.handle, byref(w)))
        return WindowsVersion(w.major, w.minor, w.build, w.build_raw, _s(w.source))
