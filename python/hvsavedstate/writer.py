# SPDX-License-Identifier: MIT
"""Write a Hyper-V saved state (.vmrs) with the library's writer
(hvs/vmrs_writer.h), and convert any open image to one.

Writers never replace a file: the output is written to a temporary file
beside the target and renamed at the end; an existing target is an error
unless ``overwrite=True``.
"""
from __future__ import annotations

import ctypes
import os
import tempfile
from ctypes import byref, c_void_p
from typing import Any, Optional

from . import _lib as L
from ._core import (ARCHES, HvsError, Image, PathLike, _s, all_registers, encode_regval,
                    reg_kind, reg_lookup)

ENCODINGS = {"raw": 0, "xpress": 1, "mixed": 2}


class VmrsWriter:
    """hvs_vmrs_writer: add VPs, registers and ranges, then the memory, then finish()."""

    def __init__(self, path: PathLike, *, arch: str = "x64", encoding: str = "raw",
                 vm_version: int = 0, savedstate_type: Optional[str] = "Normal") -> None:
        self._h: Optional[int] = None
        err = ctypes.create_string_buffer(L.HVS_ERRMSG_MAX)
        o = L.hvs_vmrs_writer_opts()
        o.errbuf = ctypes.cast(err, ctypes.POINTER(ctypes.c_char))
        o.errbuf_size = L.HVS_ERRMSG_MAX
        o.arch = ARCHES[arch]
        o.encoding = ENCODINGS[encoding]
        o.vm_version = vm_version
        self._type = savedstate_type.encode() if savedstate_type else None
        o.savedstate_type = self._type
        h = c_void_p()
        st = L.lib.hvs_vmrs_writer_create(byref(h), os.fsencode(path), byref(o))
        if st != L.HVS_OK:
            raise HvsError(st, _s(err.value))
        self._h = h.value

    def _fail(self, st: int) -> None:
        if st != L.HVS_OK:
            raise HvsError(st, _s(L.lib.hvs_vmrs_writer_errmsg(self._h)))

    def add_vp(self, vp_index: int, vtl_mask: int = 0) -> None:
        self._fail(L.lib.hvs_vmrs_writer_add_vp(self._h, vp_index, vtl_mask))

    def set_reg(self, vp_index: int, vtl: int, reg: Any, value: Any) -> None:
        rid = reg_lookup(reg) if isinstance(reg, str) else reg
        lo, hi = encode_regval(reg_kind(rid), value)
        v = L.hvs_regval(lo, hi)
        self._fail(L.lib.hvs_vmrs_writer_set_reg(self._h, vp_index, vtl, rid, byref(v)))

    def set_guest_os_id(self, vtl: int, os_id: int) -> None:
        self._fail(L.lib.hvs_vmrs_writer_set_guest_os_id(self._h, vtl, os_id))

    def add_range(self, gpa: int, size: int) -> None:
        self._fail(L.lib.hvs_vmrs_writer_add_range(self._h, gpa, size))

    def write_memory(self, data: Optional[bytes], length: Optional[int] = None) -> None:
        """Append guest memory in range order (``data`` None: ``length`` zeros)."""
        if data is None:
            self._fail(L.lib.hvs_vmrs_writer_write_memory(self._h, None, length or 0))
        else:
            self._fail(L.lib.hvs_vmrs_writer_write_memory(self._h, data, len(data)))

    def finish(self) -> None:
        self._fail(L.lib.hvs_vmrs_writer_finish(self._h))

    def close(self) -> None:
        if self._h is not None:
            L.lib.hvs_vmrs_writer_close(self._h)
            self._h = None

    def __enter__(self) -> "VmrsWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def image_to_vmrs(image: Image, out_path: PathLike, *, encoding: str = "raw",
                  overwrite: bool = False, chunk: int = 1 << 20) -> None:
    """Write ``image`` (any input: an ELF core with registers supplied, a raw
    image ...) as a .vmrs with the writer API (Image.convert(out, "vmrs") is
    the library's own converter): its ranges page-aligned (pages not in the image
    are written as zeros), and every register the writer accepts of every
    VP's active VTL (registers the writer has no slot for are skipped).
    """
    out_path = os.fspath(out_path)
    if os.path.exists(out_path) and not overwrite:
        raise FileExistsError(out_path)
    arch = "arm64" if image.vp_count and image.vp(0).arch == "arm64" else "x64"
    # A temporary file of our own beside the target, linked (no overwrite)
    # or renamed (overwrite) onto it at the end.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out_path)),
                               prefix=os.path.basename(out_path) + ".", suffix=".tmp")
    os.close(fd)
    renamed = False
    try:
        with VmrsWriter(tmp, arch=arch, encoding=encoding) as w:
            for vp in image.vps:
                w.add_vp(vp.hw_index)
            for vp in image.vps:
                for rid, name in all_registers(vp.arch):
                    try:
                        lo, hi = vp.get_reg_raw(rid)
                    except HvsError:
                        continue
                    try:
                        w.set_reg(vp.hw_index, 0, rid, hi << 64 | lo)
                    except HvsError as e:
                        if e.status != L.HVS_E_INVALID:
                            raise
            # Page-align the ranges, merging those that then touch.
            spans = []
            for r in image.ranges:
                a, b = r.gpa & ~0xFFF, (r.end + 0xFFF) & ~0xFFF
                if spans and a <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], b)
                else:
                    spans.append([a, b])
            for a, b in spans:
                w.add_range(a, b - a)
            buf = bytearray(chunk)
            for a, b in spans:
                pos = a
                while pos < b:
                    n = min(chunk, b - pos)
                    mv = memoryview(buf)[:n]
                    _read_zero_filled(image, pos, mv)
                    w.write_memory(bytes(mv))
                    pos += n
            w.finish()
        if overwrite:
            os.replace(tmp, out_path)
            renamed = True
        else:
            os.link(tmp, out_path)  # FileExistsError if it appeared meanwhile
    finally:
        # the temporary name goes in every case but a rename
        if not renamed and os.path.exists(tmp):
            os.unlink(tmp)


def _read_zero_filled(image: Image, gpa: int, mv: memoryview) -> None:
    """Read [gpa, gpa+len) with bytes no range covers set to zero."""
    mv[:] = b"\0" * len(mv)
    end = gpa + len(mv)
    for r in image.ranges:
        a, b = max(gpa, r.gpa), min(end, r.end)
        if a < b:
            image.read_into(a, mv[a - gpa:b - gpa])
