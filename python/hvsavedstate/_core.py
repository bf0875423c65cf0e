# SPDX-License-Identifier: MIT
"""Pythonic wrappers over the libhvsavedstate C API (see __init__.py)."""
from __future__ import annotations

import builtins
import ctypes
import json
import os
from ctypes import byref, c_int, c_int64, c_double, c_size_t, c_uint, c_uint64, c_void_p
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Sequence, Tuple, TypeVar, Union)

from . import _lib as L

Buffer = Union[bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]

FORMATS = {"auto": 0, "vmrs": 1, "bin": 2, "elf": 3, "raw": 4}
ARCHES = {"unknown": 0, "x86": 1, "x64": 2, "x86_64": 2, "arm64": 3, "aarch64": 3}
PAGING_MODES = {"auto": 0, "none": 1, "x86-32": 2, "32bit": 2, "pae": 3,
                "x64-4level": 4, "long4": 4, "x64-5level": 5, "long5": 5,
                "arm64": 6, "armv8": 6}
_REGKIND = {0: "none", 1: "u64", 2: "u128", 3: "segment", 4: "table",
            5: "fp_control", 6: "xmm_control"}
_FLAG_NAMES = [(0x001, "present"), (0x002, "write"), (0x004, "user"), (0x008, "nx"),
               (0x010, "accessed"), (0x020, "dirty"), (0x040, "global"),
               (0x080, "leaf"), (0x100, "large"), (0x200, "pxn"), (0x400, "nodata")]


def _s(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b else ""


def version() -> str:
    """The library's version string ("0.1.0")."""
    return _s(L.lib.hvs_version())


def strerror(status: int) -> str:
    """Short description of a status code."""
    return _s(L.lib.hvs_strerror(status))


class HvsError(Exception):
    """A libhvsavedstate call failed.

    ``status`` is the library's hvs_status code (negative, see STATUS_NAMES),
    ``message`` the library's detailed message (the errbuf or hvs_*_errmsg()
    text; hvs_strerror() when the call left none).
    """

    STATUS_NAMES = {
        L.HVS_E_INVALID: "HVS_E_INVALID", L.HVS_E_NOMEM: "HVS_E_NOMEM",
        L.HVS_E_IO: "HVS_E_IO", L.HVS_E_CORRUPT: "HVS_E_CORRUPT",
        L.HVS_E_UNSUPPORTED: "HVS_E_UNSUPPORTED", L.HVS_E_NOTPRESENT: "HVS_E_NOTPRESENT",
        L.HVS_E_NODATA: "HVS_E_NODATA", L.HVS_E_NOTFOUND: "HVS_E_NOTFOUND",
        L.HVS_E_BUFSIZE: "HVS_E_BUFSIZE", -100: "HVS_E_CANCELED",
    }

    def __init__(self, status: int, message: str = "", done: int = 0) -> None:
        self.status = status
        self.message = message or strerror(status)
        #: bytes transferred before the failure (reads), else 0
        self.done = done
        super().__init__(f"{self.message} [{self.status_name}]")

    @property
    def status_name(self) -> str:
        return self.STATUS_NAMES.get(self.status, str(self.status))


def _check(status: int, msg: Callable[[], str], done: int = 0) -> None:
    if status != L.HVS_OK:
        raise HvsError(status, msg(), done)


def reg_lookup(name: str) -> int:
    """Register id of a name ("rip", "cr3", "eax", "ttbr1_el1"; case-insensitive)."""
    r = c_int()
    st = L.lib.hvs_reg_lookup(name.encode(), byref(r))
    if st != L.HVS_OK:
        raise HvsError(st, f"unknown register '{name}'")
    return r.value


def reg_name(reg: int) -> str:
    """Name of a register id ("" for an invalid id)."""
    return _s(L.lib.hvs_reg_name(reg))


def reg_kind(reg: int) -> str:
    """How a register's value is packed: u64, u128, segment, table, fp_control, xmm_control."""
    return _REGKIND.get(L.lib.hvs_reg_kind(reg), "none")


def _reg_arch(reg: int) -> str:
    return _s(L.lib.hvs_arch_name(L.lib.hvs_reg_arch(reg)))


def all_registers(arch: str) -> List[Tuple[int, str]]:
    """(id, name) of every register of an architecture ("x64" for x86 too, "arm64")."""
    want = "arm64" if arch == "arm64" else "x64"
    out = []
    for r in range(174):  # HVS_REG_COUNT
        if L.lib.hvs_reg_kind(r) != 0 and _reg_arch(r) == want:
            out.append((r, reg_name(r)))
    return out


def flag_names(flags: int) -> List[str]:
    """Names of the HVS_XLAT_F_* bits set in ``flags``."""
    return [n for bit, n in _FLAG_NAMES if flags & bit]


# ----------------------------------------------------------------- values


@dataclass(frozen=True)
class Segment:
    """A segment register (hvs/regs.h SEGMENT packing)."""
    base: int
    limit: int
    selector: int
    attributes: int


@dataclass(frozen=True)
class Table:
    """GDTR / IDTR."""
    base: int
    limit: int


@dataclass(frozen=True)
class FpControl:
    fcw: int
    fsw: int
    ftw: int
    fop: int
    ip: int


@dataclass(frozen=True)
class XmmControl:
    mxcsr: int
    mxcsr_mask: int
    dp: int


RegValue = Union[int, Segment, Table, FpControl, XmmControl]


def decode_regval(kind: str, lo: int, hi: int) -> RegValue:
    """Unpack a 16-byte register value by its kind (hvs/regs.h)."""
    if kind == "u64":
        return lo
    if kind == "u128":
        return hi << 64 | lo
    if kind == "segment":
        return Segment(lo, hi & 0xFFFFFFFF, (hi >> 32) & 0xFFFF, hi >> 48)
    if kind == "table":
        return Table(hi, lo & 0xFFFF)
    if kind == "fp_control":
        return FpControl(lo & 0xFFFF, (lo >> 16) & 0xFFFF, (lo >> 32) & 0xFF,
                         (lo >> 48) & 0xFFFF, hi)
    if kind == "xmm_control":
        return XmmControl(hi & 0xFFFFFFFF, hi >> 32, lo)
    raise ValueError(kind)


def encode_regval(kind: str, value: RegValue) -> Tuple[int, int]:
    """Pack a value for ``kind`` into (lo, hi); ints are taken as the raw 128 bits."""
    if isinstance(value, int):
        if value < 0 or value >> 128:
            raise ValueError("register value out of range")
        return value & 0xFFFFFFFFFFFFFFFF, value >> 64
    if isinstance(value, Segment):
        return value.base, (value.limit & 0xFFFFFFFF) | (value.selector & 0xFFFF) << 32 | (
            value.attributes & 0xFFFF) << 48
    if isinstance(value, Table):
        return value.limit & 0xFFFF, value.base
    if isinstance(value, FpControl):
        return (value.fcw | value.fsw << 16 | value.ftw << 32 | value.fop << 48), value.ip
    if isinstance(value, XmmControl):
        return value.dp, value.mxcsr | value.mxcsr_mask << 32
    raise TypeError(f"cannot pack {type(value).__name__} as a register value")


@dataclass(frozen=True)
class MemRange:
    """Guest-physical [gpa, gpa + size) held at raw_offset of the raw saved memory."""
    gpa: int
    size: int
    raw_offset: int

    @property
    def end(self) -> int:
        return self.gpa + self.size


@dataclass(frozen=True)
class PartitionInfo:
    arch: str
    vendor: int
    vtl_mask: int
    guest_os_ids: Dict[int, int]
    vm_version: int
    nested_enabled: bool


@dataclass(frozen=True)
class Step:
    """One level of a page-table walk."""
    name: str
    level: int
    entry_gpa: int
    entry: int
    span: int
    flags: int

    @property
    def flag_names(self) -> List[str]:
        return flag_names(self.flags)


@dataclass(frozen=True)
class Fault:
    kind: str
    level: int
    entry_gpa: int
    entry: int


@dataclass(frozen=True)
class Translation:
    """Result of VP.trace(): the steps and either a GPA or a fault.

    ``status`` is HVS_OK (mapped), HVS_E_NOTPRESENT (not mapped: ``fault``)
    or HVS_E_NODATA (a table page is not in the image: unknown).
    """
    gva: int
    status: int
    gpa: Optional[int]
    page_size: Optional[int]
    flags: int
    unmapped_size: int
    fault: Optional[Fault]
    steps: Tuple[Step, ...]
    message: str = ""

    @property
    def mapped(self) -> bool:
        return self.status == L.HVS_OK


@dataclass(frozen=True)
class Region:
    """A mapped region of a VP's address space (flags: HVS_XLAT_F_*)."""
    gva: int
    gpa: int
    size: int
    flags: int

    @property
    def flag_names(self) -> List[str]:
        return flag_names(self.flags)


# ----------------------------------------------------------------- image


_C = TypeVar("_C", bound="_Closable")


class _Closable:
    """A handle owner: ``with`` closes it, and so does garbage collection
    (errors there are swallowed: the interpreter may be shutting down)."""

    def close(self) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Image(_Closable):
    """An open guest image (.vmrs, .bin + .vsv, ELF core or raw image).

    Options mirror the CLI's (cli/vpopts.c): ``format`` ("auto", "vmrs",
    "bin", "elf", "raw"), ``layout`` (raw extents as (gpa, size,
    file_offset) tuples, or the CLI string "G:S@O,..."), ``vsv`` (the .vsv
    of a legacy .bin), ``regs_json`` (a QEMU-style registers.json),
    ``set_regs`` (a mapping or list of "[VP:]NAME=VALUE" strings or
    (vp, name, value) tuples), ``arch`` and ``paging`` overrides applied
    to every VP, and ``vp``/``vtl`` (the VTL is made active on that VP).
    A context manager; close() is idempotent.
    """

    def __init__(self, path: PathLike, *, format: str = "auto",
                 layout: Union[None, str, Sequence[Tuple[int, int, int]]] = None,
                 vsv: Optional[PathLike] = None,
                 regs_json: Optional[PathLike] = None,
                 set_regs: Union[None, Mapping[str, int], Sequence[Any]] = None,
                 arch: Optional[str] = None, paging: Optional[str] = None,
                 vp: Optional[int] = None, vtl: Optional[int] = None,
                 cache_blocks: int = 0, no_replay: bool = False) -> None:
        self._h: Optional[int] = None
        self.path = os.fspath(path)
        if format not in FORMATS:
            raise ValueError(f"format {format!r} is not one of {', '.join(FORMATS)}")
        if arch is not None and arch not in ARCHES:
            raise ValueError(f"arch {arch!r} is not x86, x64 or arm64")
        if paging is not None and paging not in PAGING_MODES:
            raise ValueError(f"unknown paging mode {paging!r}")
        extents = parse_layout(layout) if isinstance(layout, str) else list(layout or [])
        err = ctypes.create_string_buffer(L.HVS_ERRMSG_MAX)
        o = L.hvs_image_opts()
        o.base.errbuf = ctypes.cast(err, ctypes.POINTER(ctypes.c_char))
        o.base.errbuf_size = L.HVS_ERRMSG_MAX
        o.base.flags = L.HVS_OPEN_NO_REPLAY if no_replay else 0
        o.format = FORMATS[format]
        vsv_b = os.fsencode(vsv) if vsv is not None else None
        o.vsv_path = vsv_b
        arr = None
        if extents:
            if format not in ("auto", "raw"):
                raise ValueError("layout is for raw images (format='raw')")
            arr = (L.hvs_raw_extent * len(extents))(*[L.hvs_raw_extent(*e) for e in extents])
            o.format = FORMATS["raw"]
            o.raw_layout = arr
            o.raw_layout_count = len(extents)
        o.cache_blocks = cache_blocks
        h = c_void_p()
        st = L.lib.hvs_image_open(byref(h), os.fsencode(self.path), byref(o))
        if st != L.HVS_OK:
            raise HvsError(st, _s(err.value))
        self._h = h.value
        try:
            self._configure(regs_json, set_regs, arch, paging, vp, vtl)
        except BaseException:
            self.close()
            raise

    # The CLI's order (cli_vpopts_open): registers.json, VPs for a raw
    # image, --vtl, --arch, --set-reg, --paging.
    def _configure(self, regs_json, set_regs, arch, paging, vp, vtl) -> None:
        if regs_json is not None:
            apply_regs_json(self, regs_json)
        sets = _parse_set_regs(set_regs, vp or 0)
        need = max([(vp or 0) + 1] + [s[0] + 1 for s in sets])
        if self.vp_count == 0 and (vp is not None or sets):
            self.add_vps(need, arch or "x64")
        if vp is not None and vp >= self.vp_count:
            raise HvsError(L.HVS_E_NOTFOUND,
                           f"{self.path}: VP {vp} does not exist (the image has {self.vp_count})")
        if vtl is not None:
            self.vp(vp or 0).set_active_vtl(vtl)
        if arch is not None:
            for v in self.vps:
                v.set_arch(arch)
        for vpn, name, value in sets:
            self.vp(vpn).set_reg(name, value)
        if paging is not None and paging != "auto":
            for v in self.vps:
                v.set_paging_mode(paging)

    # -------------------------------------------------------- lifetime
    def close(self) -> None:
        """Release the handle (idempotent)."""
        if self._h is not None:
            L.lib.hvs_image_close(self._h)
            self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    @property
    def handle(self) -> int:
        """The raw hvs_image pointer (raises once closed)."""
        if self._h is None:
            raise ValueError("I/O operation on a closed image")
        return self._h

    def errmsg(self) -> str:
        """Detail of the last failure on this image."""
        return _s(L.lib.hvs_image_errmsg(self.handle))

    def _fail(self, st: int, done: int = 0) -> None:
        if st != L.HVS_OK:
            raise HvsError(st, self.errmsg(), done)

    # ---------------------------------------------------------- facts
    @property
    def format(self) -> str:
        return _s(L.lib.hvs_image_format_name(L.lib.hvs_image_get_format(self.handle)))

    def partition_info(self) -> PartitionInfo:
        pi = L.hvs_partition_info()
        L.lib.hvs_image_partition_info(self.handle, byref(pi))
        ids = {v: pi.guest_os_id[v] for v in range(L.HVS_VTL_COUNT)
               if pi.guest_os_id_mask >> v & 1}
        return PartitionInfo(_s(L.lib.hvs_arch_name(pi.arch)), pi.vendor, pi.vtl_mask, ids,
                             pi.vm_version, bool(pi.nested_enabled))

    # --------------------------------------------------------- memory
    @property
    def ranges(self) -> List[MemRange]:
        """Guest-physical ranges, sorted by GPA."""
        n = L.lib.hvs_image_range_count(self.handle)
        p = L.lib.hvs_image_ranges(self.handle)
        return [MemRange(p[i].gpa, p[i].size, p[i].raw_offset) for i in range(n)]

    @property
    def raw_size(self) -> int:
        return L.lib.hvs_image_raw_size(self.handle)

    def gpa_to_raw(self, gpa: int) -> int:
        raw = c_uint64()
        self._fail(L.lib.hvs_image_gpa_to_raw(self.handle, gpa, byref(raw)))
        return raw.value

    def _read_into(self, space: int, addr: int, buf: Buffer) -> int:
        mv = memoryview(buf).cast("B")
        if mv.readonly:
            raise TypeError("read_into needs a writable buffer")
        n = len(mv)
        cbuf = (ctypes.c_char * n).from_buffer(mv) if n else None
        done = c_size_t()
        st = L.lib.hvs_image_read(self.handle, space, addr, cbuf, n, byref(done))
        self._fail(st, done.value)
        return done.value

    def read_into(self, addr: int, buf: Buffer, *, raw: bool = False) -> int:
        """Fill ``buf`` with guest-physical memory at ``addr`` (or, with
        ``raw=True``, raw saved memory at offset ``addr``).  Raises HvsError
        (``done`` = bytes read) when the read reaches unsaved memory."""
        return self._read_into(L.HVS_SPACE_RAW if raw else L.HVS_SPACE_GPA, addr, buf)

    def read(self, addr: int, length: int, *, raw: bool = False) -> bytes:
        """``length`` bytes of guest-physical (or raw saved) memory at ``addr``."""
        b = bytearray(length)
        self.read_into(addr, b, raw=raw)
        return bytes(b)

    def read_raw(self, offset: int, length: int) -> bytes:
        """``length`` bytes of raw saved memory (RAM blocks concatenated)."""
        return self.read(offset, length, raw=True)

    def set_cache_limit(self, blocks: int) -> None:
        self._fail(L.lib.hvs_image_set_cache_limit(self.handle, blocks))

    @property
    def cache_limit(self) -> int:
        return L.lib.hvs_image_cache_limit(self.handle)

    # ------------------------------------------------------------ VPs
    @property
    def vp_count(self) -> int:
        return L.lib.hvs_image_vp_count(self.handle)

    def vp(self, n: int) -> "VP":
        if not 0 <= n < self.vp_count:
            raise HvsError(L.HVS_E_INVALID,
                           f"VP {n} does not exist (the image has {self.vp_count})")
        return VP(self, n)

    @property
    def vps(self) -> List["VP"]:
        return [VP(self, i) for i in range(self.vp_count)]

    def add_vps(self, count: int, arch: str = "x64") -> None:
        """Give a memory-only image (raw) ``count`` VPs to supply registers to."""
        self._fail(L.lib.hvs_image_add_vps(self.handle, count, ARCHES[arch]))

    def flush(self) -> None:
        L.lib.hvs_vp_flush(self.handle)

    def convert(self, out_path: PathLike, to: str, **kwargs: Any) -> Any:
        """Write this image as raw/elf/dmp/vmrs (see convert.convert)."""
        from .convert import convert
        return convert(self, out_path, to, **kwargs)

    # ---------------------------------------------------------- store
    def store(self) -> Optional["Store"]:
        """The HyperVStorage key tree under a .vmrs (or a legacy .vsv);
        None for other formats.  Borrowed: valid while the image is open."""
        st = L.lib.hvs_image_store(self.handle)
        return Store(st, owner=self) if st else None


class VP:
    """Virtual processor ``index`` (position 0..vp_count-1) of an image."""

    def __init__(self, image: Image, index: int) -> None:
        self.image = image
        self.index = index

    def __repr__(self) -> str:
        return f"<VP {self.index} of {self.image.path}>"

    @property
    def _h(self) -> int:
        return self.image.handle

    def _fail(self, st: int, done: int = 0) -> None:
        self.image._fail(st, done)

    def _info(self) -> L.hvs_vp_info:
        vi = L.hvs_vp_info()
        self._fail(L.lib.hvs_image_vp_info(self._h, self.index, byref(vi)))
        return vi

    @property
    def hw_index(self) -> int:
        """VP index as saved (hardware numbering)."""
        return self._info().index

    @property
    def arch(self) -> str:
        return _s(L.lib.hvs_arch_name(self._info().arch))

    @property
    def vtl_mask(self) -> int:
        return self._info().vtl_mask

    @property
    def vtls(self) -> List[int]:
        m = self.vtl_mask
        return [v for v in range(L.HVS_VTL_COUNT) if m >> v & 1]

    @property
    def saved_vtl(self) -> int:
        return self._info().saved_vtl

    @property
    def active_vtl(self) -> int:
        return self._info().active_vtl

    @property
    def nested_enabled(self) -> bool:
        return bool(self._info().nested_enabled)

    def set_active_vtl(self, vtl: int) -> None:
        self._fail(L.lib.hvs_image_set_active_vtl(self._h, self.index, vtl))

    def set_arch(self, arch: str) -> None:
        self._fail(L.lib.hvs_image_set_arch(self._h, self.index, ARCHES[arch]))

    def in_kernel(self) -> bool:
        out = c_int()
        self._fail(L.lib.hvs_image_in_kernel(self._h, self.index, byref(out)))
        return bool(out.value)

    @property
    def paging_mode(self) -> str:
        m = c_int()
        self._fail(L.lib.hvs_image_get_paging_mode(self._h, self.index, byref(m)))
        return _s(L.lib.hvs_paging_mode_name(m.value))

    def set_paging_mode(self, mode: str) -> None:
        if mode not in PAGING_MODES:
            raise ValueError(f"unknown paging mode {mode!r}")
        self._fail(L.lib.hvs_image_set_paging_mode(self._h, self.index, PAGING_MODES[mode]))

    def paging_regs(self) -> Dict[str, int]:
        """The paging registers the translation uses (hvs_vp_paging_regs)."""
        pr = L.hvs_paging_regs()
        fl = c_uint()
        self._fail(L.lib.hvs_vp_paging_regs(self._h, self.index, byref(pr), byref(fl)))
        out = {n: getattr(pr, n) for n, _ in L.hvs_paging_regs._fields_}
        out["xlat_flags"] = fl.value
        return out

    # ------------------------------------------------------ registers
    def get_reg_raw(self, reg: Union[int, str], vtl: Optional[int] = None) -> Tuple[int, int]:
        """(lo, hi) of a register, packed as hvs/regs.h says."""
        rid = reg_lookup(reg) if isinstance(reg, str) else reg
        v = L.hvs_regval()
        self._fail(L.lib.hvs_image_get_reg(self._h, self.index,
                                           L.HVS_VTL_ACTIVE if vtl is None else vtl,
                                           rid, byref(v)))
        return v.lo, v.hi

    def reg(self, reg: Union[int, str], vtl: Optional[int] = None) -> RegValue:
        """A register by name or id, decoded (int, Segment, Table, ...)."""
        rid = reg_lookup(reg) if isinstance(reg, str) else reg
        lo, hi = self.get_reg_raw(rid, vtl)
        return decode_regval(reg_kind(rid), lo, hi)

    def __getitem__(self, name: str) -> RegValue:
        return self.reg(name)

    def registers(self, vtl: Optional[int] = None) -> Dict[str, RegValue]:
        """Every register the saved state holds for this VP (and VTL), by name."""
        out: Dict[str, RegValue] = {}
        v = L.hvs_regval()
        want = L.HVS_VTL_ACTIVE if vtl is None else vtl
        for rid, name in all_registers(self.arch):
            st = L.lib.hvs_image_get_reg(self._h, self.index, want, rid, byref(v))
            if st == L.HVS_OK:
                out[name] = decode_regval(reg_kind(rid), v.lo, v.hi)
            elif st != L.HVS_E_NOTFOUND:  # not saved: left out, as `hvs regs` does
                self._fail(st)
        return out

    def set_reg(self, reg: Union[int, str], value: RegValue, vtl: Optional[int] = None) -> None:
        """Supply or override a register (lives in this handle only)."""
        rid = reg_lookup(reg) if isinstance(reg, str) else reg
        lo, hi = encode_regval(reg_kind(rid), value)
        v = L.hvs_regval(lo, hi)
        self._fail(L.lib.hvs_image_set_reg(self._h, self.index,
                                           L.HVS_VTL_ACTIVE if vtl is None else vtl,
                                           rid, byref(v)))

    @property
    def cr3(self) -> int:
        return self.reg("cr3")  # type: ignore[return-value]

    # ---------------------------------------------------- translation
    def translate(self, gva: int) -> Optional[int]:
        """GPA of ``gva``, or None when it is not mapped.  Raises HvsError
        when the answer is unknown (a page table is not in the image)."""
        gpa = c_uint64()
        st = L.lib.hvs_vp_translate(self._h, self.index, gva, byref(gpa), None, None)
        if st == L.HVS_E_NOTPRESENT:
            return None
        self._fail(st)
        return gpa.value

    def translate_ex(self, gva: int) -> Tuple[Optional[int], int, int]:
        """(gpa or None, page_size, unmapped_size) as hvs_vp_translate() gives them."""
        gpa, ps, un = c_uint64(), c_uint64(), c_uint64()
        st = L.lib.hvs_vp_translate(self._h, self.index, gva, byref(gpa), byref(ps), byref(un))
        if st == L.HVS_E_NOTPRESENT:
            return None, 0, un.value
        self._fail(st)
        return gpa.value, ps.value, un.value

    def last_fault(self) -> Optional[Fault]:
        p = L.lib.hvs_vp_last_fault(self._h, self.index)
        if not p:
            return None
        f = p.contents
        return Fault(_s(L.lib.hvs_xlat_fault_name(f.kind)), f.level, f.entry_gpa, f.entry)

    def trace(self, gva: int) -> Translation:
        """Walk the page tables for ``gva``, recording every level.  Not
        mapped / not in the image are results (``status``), not exceptions;
        other failures (no paging registers ...) raise HvsError."""
        w = L.hvs_xlat_walk()
        st = L.lib.hvs_vp_trace(self._h, self.index, gva, byref(w))
        if st not in (L.HVS_OK, L.HVS_E_NOTPRESENT, L.HVS_E_NODATA):
            self._fail(st)
        steps = tuple(Step(_s(s.name), s.level, s.entry_gpa, s.entry, s.span, s.flags)
                      for s in w.steps[:min(w.nsteps, L.HVS_XLAT_MAX_STEPS)])
        fault = None
        if st == L.HVS_E_NOTPRESENT:
            fault = Fault(_s(L.lib.hvs_xlat_fault_name(w.fault.kind)), w.fault.level,
                          w.fault.entry_gpa, w.fault.entry)
        ok = st == L.HVS_OK and w.done
        return Translation(gva, st, w.gpa if ok else None, w.page_size if ok else None,
                           w.flags, w.unmapped_size if st == L.HVS_E_NOTPRESENT else 0,
                           fault, steps, "" if st == L.HVS_OK else self.image.errmsg())

    def read_into(self, gva: int, buf: Buffer) -> int:
        """Fill ``buf`` with guest-virtual memory at ``gva`` through the
        page tables.  Raises HvsError (``done`` = bytes copied) when an
        address is not mapped or not in the image."""
        mv = memoryview(buf).cast("B")
        if mv.readonly:
            raise TypeError("read_into needs a writable buffer")
        n = len(mv)
        cbuf = (ctypes.c_char * n).from_buffer(mv) if n else None
        done = c_size_t()
        st = L.lib.hvs_vp_read(self._h, self.index, gva, cbuf, n, byref(done))
        self._fail(st, done.value)
        return done.value

    def read(self, gva: int, length: int) -> bytes:
        """``length`` bytes of guest-virtual memory at ``gva``."""
        b = bytearray(length)
        self.read_into(gva, b)
        return bytes(b)

    def scan_images(self, hi: int = 0xFFFFFFFFFFFFFFFF, lo: int = 0,
                    at: Sequence[int] = (), stats: Optional[dict] = None) -> List[Any]:
        """PE images in this VP's address space (see windows.scan_images)."""
        from .windows import scan_images
        return scan_images(self, hi, lo, at, stats)

    def regions(self, first: int = 0, last: int = 0xFFFFFFFFFFFFFFFF, *,
                merge: bool = False, strict: bool = False) -> List[Region]:
        """Mapped regions whose start lies in [first, last] (hvs_vp_map_walk)."""
        out: List[Region] = []
        err: List[BaseException] = []

        def cb(_ud: Any, r: Any) -> int:
            try:
                x = r.contents
                out.append(Region(x.gva, x.gpa, x.size, x.flags))
                return L.HVS_OK
            except BaseException as e:  # never unwind through C
                err.append(e)
                return L.HVS_E_INVALID

        fn = L.REGION_FN(cb)
        flags = (L.HVS_XLAT_MAP_MERGE if merge else 0) | (L.HVS_XLAT_MAP_STRICT if strict else 0)
        st = L.lib.hvs_vp_map_walk(self._h, self.index, first, last, flags, fn, None)
        if err:
            raise err[0]
        self._fail(st)
        return out


# ----------------------------------------------------------------- store


class Key:
    """A key of a HyperVStorage tree (borrowed from its Store: every access
    checks that the store, and the image it came from, are still open, so a
    stale Key raises ValueError instead of touching freed memory)."""

    def __init__(self, store: "Store", ptr: int) -> None:
        self.store = store
        self._k = ptr

    def __repr__(self) -> str:
        return f"<Key {self.path} ({self.type})>"

    @property
    def name(self) -> str:
        self.store._live()
        return _s(L.lib.hvs_key_name(self._k))

    @property
    def type(self) -> str:
        self.store._live()
        return _s(L.lib.hvs_key_type_name(L.lib.hvs_key_get_type(self._k)))

    @property
    def ordinal(self) -> int:
        self.store._live()
        return L.lib.hvs_key_ordinal(self._k)

    @property
    def size(self) -> int:
        self.store._live()
        return L.lib.hvs_key_value_size(self._k)

    @property
    def path(self) -> str:
        self.store._live()
        n = c_size_t()
        buf = ctypes.create_string_buffer(256)
        st = L.lib.hvs_key_path(self._k, buf, len(buf), byref(n))
        if st == L.HVS_E_BUFSIZE:
            buf = ctypes.create_string_buffer(n.value + 1)
            st = L.lib.hvs_key_path(self._k, buf, len(buf), byref(n))
        _check(st, lambda: "key path")
        return _s(buf.value)

    @property
    def parent(self) -> Optional["Key"]:
        self.store._live()
        p = L.lib.hvs_key_parent(self._k)
        return Key(self.store, p) if p else None

    @property
    def children(self) -> List["Key"]:
        self.store._live()
        n = L.lib.hvs_key_child_count(self._k)
        return [Key(self.store, L.lib.hvs_key_child(self._k, i)) for i in range(n)]

    def __iter__(self) -> Iterator["Key"]:
        return iter(self.children)

    def info(self) -> Dict[str, int]:
        self.store._live()
        ki = L.hvs_key_info()
        L.lib.hvs_key_get_info(self._k, byref(ki))
        return {n: getattr(ki, n) for n, _ in L.hvs_key_info._fields_}

    def read(self, offset: int = 0, length: Optional[int] = None) -> bytes:
        """Raw bytes of the value (array bytes, UTF-16LE of a string, ...)."""
        self.store._live()
        if length is None:
            length = max(0, self.size - offset)
        b = ctypes.create_string_buffer(length)
        done = c_size_t()
        st = L.lib.hvs_key_read(self.store._h, self._k, offset, b, length, byref(done))
        if st != L.HVS_OK:
            raise HvsError(st, self.store.errmsg(), done.value)
        return b.raw[:done.value]

    @property
    def value(self) -> Any:
        """The decoded value: int, float, bool, str, bytes (arrays), None (nodes)."""
        self.store._live()
        t = self.type
        h, k = self.store._h, self._k
        if t == "int":
            v = c_int64()
            _check(L.lib.hvs_key_get_int(h, k, byref(v)), self.store.errmsg)
            return v.value
        if t == "uint":
            u = c_uint64()
            _check(L.lib.hvs_key_get_uint(h, k, byref(u)), self.store.errmsg)
            return u.value
        if t == "double":
            d = c_double()
            _check(L.lib.hvs_key_get_double(h, k, byref(d)), self.store.errmsg)
            return d.value
        if t == "bool":
            i = c_int()
            _check(L.lib.hvs_key_get_bool(h, k, byref(i)), self.store.errmsg)
            return bool(i.value)
        if t == "string":
            n = c_size_t()
            st = L.lib.hvs_key_get_string(h, k, None, 0, byref(n))
            if st not in (L.HVS_OK, L.HVS_E_BUFSIZE):
                _check(st, self.store.errmsg)
            buf = ctypes.create_string_buffer(n.value + 1)
            _check(L.lib.hvs_key_get_string(h, k, buf, len(buf), byref(n)), self.store.errmsg)
            return buf.raw[:n.value].decode("utf-8")
        if t == "array":
            return self.read()
        return None

    def find(self, path: str) -> "Key":
        """A descendant by relative path ("a/b[1]/c")."""
        p = self.path.rstrip("/") + "/" + path.lstrip("/")
        return self.store.find(p)

    def walk(self) -> Iterator["Key"]:
        """This key and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


class Store(_Closable):
    """A HyperVStorage container (.vmrs/.vmcx/.vsv): its key tree.

    Open a file with Store(path), or get the one under an image with
    Image.store() (borrowed from the image).
    """

    def __init__(self, path_or_handle: Union[PathLike, int], *, owner: Optional[Image] = None,
                 no_replay: bool = False) -> None:
        self._owner = owner
        self._owned = owner is None
        self._h: Optional[int]
        if owner is not None:
            self._h = int(path_or_handle)  # type: ignore[arg-type]
            return
        err = ctypes.create_string_buffer(L.HVS_ERRMSG_MAX)
        o = L.hvs_open_opts()
        o.errbuf = ctypes.cast(err, ctypes.POINTER(ctypes.c_char))
        o.errbuf_size = L.HVS_ERRMSG_MAX
        o.flags = L.HVS_OPEN_NO_REPLAY if no_replay else 0
        h = c_void_p()
        st = L.lib.hvs_store_open_file(byref(h), os.fsencode(path_or_handle), byref(o))  # type: ignore[arg-type]
        if st != L.HVS_OK:
            raise HvsError(st, _s(err.value))
        self._h = h.value

    def _live(self) -> None:
        if self._h is None or (self._owner is not None and self._owner.closed):
            raise ValueError("operation on a closed store")

    def close(self) -> None:
        if self._owned and self._h is not None:
            L.lib.hvs_store_close(self._h)
        self._h = None

    def errmsg(self) -> str:
        self._live()
        return _s(L.lib.hvs_store_errmsg(self._h))

    def info(self) -> Dict[str, int]:
        self._live()
        si = L.hvs_store_info()
        L.lib.hvs_store_get_info(self._h, byref(si))
        return {n: getattr(si, n) for n, _ in L.hvs_store_info._fields_}

    @property
    def root(self) -> Key:
        self._live()
        return Key(self, L.lib.hvs_store_root(self._h))

    def find(self, path: str) -> Key:
        """A key by path ("/savedstate/RamBlock0", "a/b[2]")."""
        self._live()
        k = c_void_p()
        st = L.lib.hvs_store_find(self._h, path.encode(), byref(k))
        if st != L.HVS_OK:
            raise HvsError(st, self.errmsg() or f"{path}: no such key")
        return Key(self, k.value)  # type: ignore[arg-type]


# ------------------------------------------------------------ CLI options


def parse_layout(s: str) -> List[Tuple[int, int, int]]:
    """The CLI's --layout "GPA:SIZE@FILEOFF[,...]" as (gpa, size, file_offset)."""
    out = []
    for item in s.split(","):
        if ":" not in item or "@" not in item or item.index("@") < item.index(":"):
            raise ValueError(f"layout {item!r}: expected GPA:SIZE@FILEOFF")
        g, rest = item.split(":", 1)
        sz, off = rest.split("@", 1)
        e = (_num(g), _num(sz), _num(off))
        if e[1] == 0:
            raise ValueError(f"layout {item!r}: zero size")
        out.append(e)
    return out


def _num(s: str) -> int:
    """A number as the CLI reads it: decimal or 0x hex, K/M/G suffixes."""
    s = s.strip()
    mult = 1
    if s and s[-1] in "kKmMgG":
        mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[s[-1].lower()]
        s = s[:-1]
    return int(s, 0) * mult


def _parse_set_regs(set_regs: Any, default_vp: int) -> List[Tuple[int, str, RegValue]]:
    out: List[Tuple[int, str, RegValue]] = []
    if not set_regs:
        return out
    if isinstance(set_regs, Mapping):
        return [(default_vp, k, v) for k, v in set_regs.items()]
    for item in set_regs:
        if isinstance(item, str):
            if "=" not in item:
                raise ValueError(f"set_regs {item!r}: expected [VP:]NAME=VALUE")
            lhs, val = item.split("=", 1)
            vp = default_vp
            if ":" in lhs:
                v, lhs = lhs.split(":", 1)
                vp = _num(v)
            out.append((vp, lhs, int(val, 0)))
        else:
            vp, name, val = item
            out.append((vp, name, val))
    return out


def _qemu_reg(name: str, mode: Optional[str]) -> Optional[int]:
    # The CLI's mapping of QEMU `info registers` names (cli/vpopts.c qemu_reg).
    special = {"EFL": "rflags", "RFL": "rflags", "LDT": "ldtr", "VBAR": "vbar_el1"}
    if name in special:
        return reg_lookup(special[name])
    if name in ("SP", "sp"):
        if not mode:
            return None
        return reg_lookup("sp_el0" if mode in ("EL0t", "EL1t") else "sp_el1")
    i = 0
    while i < len(name) and not name[i].isdigit():
        i += 1
    head, tail = name[:i], name[i:]
    if tail.isdigit():
        tail = str(int(tail))
    try:
        return reg_lookup(head + tail)
    except HvsError:
        return None


def _jnum(v: Any) -> Optional[int]:
    """A JSON number or numeric string as strtoull(s, 0) reads it (the CLI's
    jm_u64): 0x hex, leading-0 octal, else decimal; None when it is not one."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if not isinstance(v, str) or not v or v[0] in "-+ \t":
        return None
    try:
        if v[:2] in ("0x", "0X"):
            return int(v[2:], 16) if v[2:] else None
        if len(v) > 1 and v[0] == "0":
            return int(v[1:], 8)
        return int(v, 10)
    except ValueError:
        return None


def apply_regs_json(image: Image, path: PathLike) -> None:
    """Apply a QEMU-style registers.json (the ../shared/guests layout) to the
    VPs of ``image``, as the CLI's --regs-json does."""
    with builtins.open(path, encoding="utf-8") as f:
        doc = json.load(f)
    arch_s = doc.get("arch")
    arch = "arm64" if arch_s == "aarch64" else "x86" if arch_s == "i386" else "x64"
    cpus = doc.get("cpus") or []
    if not cpus:
        raise HvsError(L.HVS_E_INVALID, f"{os.fspath(path)}: no \"cpus\" array")
    if image.vp_count == 0:
        image.add_vps(len(cpus), arch)
    is_arm = arch == "arm64"
    for i, c in enumerate(cpus):
        idx = int(c.get("cpu", i))
        if idx >= image.vp_count:
            raise HvsError(L.HVS_E_INVALID, f"{os.fspath(path)}: cpu {idx} but the image has "
                           f"{image.vp_count} VPs")
        vp = image.vp(idx)
        mode = c.get("mode")
        for group in ("registers", "sysregs", "xmm", "q"):
            for name, val in (c.get(group) or {}).items():
                r = _qemu_reg(name, mode)
                if r is None or (_reg_arch(r) == "arm64") != is_arm:
                    continue
                kind = reg_kind(r)
                if kind == "u128":
                    v = _jnum(val) if isinstance(val, str) and val.startswith("0x") else None
                elif kind == "u64":
                    v = _jnum(val)
                    v = None if v is None or v >> 64 else v
                else:
                    v = None
                if v is None or v >> 128:
                    continue
                vp.set_reg(r, v)
        if is_arm:
            continue
        for name, seg in (c.get("segments") or {}).items():
            r = _qemu_reg(name, None)
            if r is None or reg_kind(r) != "segment":
                continue
            if not isinstance(seg, dict):
                continue
            nums = [_jnum(seg.get(k)) for k in ("selector", "base", "limit", "flags")]
            if any(n is None for n in nums):
                continue
            sel, base, limit, flags = nums  # type: ignore[misc]
            vp.set_reg(r, Segment(base, limit & 0xFFFFFFFF, sel & 0xFFFF, (flags >> 8) & 0xF0FF))
        for name, tab in (c.get("tables") or {}).items():
            r = reg_lookup("gdtr" if name == "GDT" else "idtr")
            if not isinstance(tab, dict):
                continue
            base, limit = _jnum(tab.get("base")), _jnum(tab.get("limit"))
            if base is None or limit is None:
                continue
            vp.set_reg(r, Table(base, limit & 0xFFFF))


def open(path: PathLike, **kwargs: Any) -> Image:  # noqa: A001 - mirrors io.open
    """Open a guest image; keyword options as Image()."""
    return Image(path, **kwargs)
