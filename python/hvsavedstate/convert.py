# SPDX-License-Identifier: MIT
"""Convert an open image to raw, ELF, crash-dump or .vmrs files
(hvs/convert.h).  The library writes a temporary file and renames it at
the end; an existing output is refused unless ``force=True``."""
from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_int
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _lib as L
from ._core import HvsError, Image, PathLike, _s

#: Progress callback: (bytes done, bytes total) -> True to cancel.
Progress = Callable[[int, int], Optional[bool]]


@dataclass(frozen=True)
class ConvertResult:
    format: str
    ranges: int
    pages: int
    memory_bytes: int
    bytes_written: int
    file_size: int
    seconds: float
    workers: int
    underived: List[Tuple[str, str]] = field(default_factory=list)
    notes: Dict[str, int] = field(default_factory=dict)
    sidecar_path: Optional[str] = None


def convert(image: Image, out_path: PathLike, to: str, *, force: bool = False,
            dmp_type: str = "full", workers: int = 0,
            progress: Optional[Progress] = None) -> ConvertResult:
    """Write ``image`` to ``out_path`` as ``to`` ("raw", "elf", "dmp", "vmrs").

    Raises HvsError with the library's status and message (status
    HVS_E_CANCELED, -100, when ``progress`` returned True; an exception
    raised by ``progress`` cancels the conversion and is re-raised)."""
    fmt = c_int()
    st = L.lib.hvs_convert_format_lookup(to.encode(), byref(fmt))
    if st != L.HVS_OK:
        raise HvsError(st, f"unknown output format '{to}' (raw, elf, dmp, vmrs)")
    if dmp_type not in ("full", "bitmap"):
        raise ValueError("dmp_type is 'full' or 'bitmap'")
    o = L.hvs_convert_opts()
    o.flags = L.HVS_CONVERT_FORCE if force else 0
    o.dmp_type = 5 if dmp_type == "bitmap" else 1
    o.workers = workers
    err: List[BaseException] = []
    if progress is not None:
        def cb(_ud: Any, done: int, total: int) -> int:
            try:
                return 1 if progress(done, total) else 0
            except BaseException as e:  # never unwind through C
                err.append(e)
                return 1
        fn = L.CONVERT_PROGRESS_FN(cb)
        o.progress = fn
    res = ctypes.POINTER(L.hvs_convert_result)()
    st = L.lib.hvs_convert(image.handle, os.fsencode(out_path), fmt.value, byref(o), byref(res))
    try:
        if err:
            raise err[0]
        if st != L.HVS_OK:
            msg = _s(res.contents.errmsg) if res else ""
            raise HvsError(st, msg or _s(L.lib.hvs_convert_strerror(st)))
        r = res.contents
        return ConvertResult(
            _s(L.lib.hvs_convert_format_name(r.format)), r.ranges, r.pages, r.memory_bytes,
            r.bytes_written, r.file_size, r.seconds, r.workers,
            [(_s(r.underived[i].field), _s(r.underived[i].why)) for i in range(r.underived_count)],
            {_s(r.notes[i].name): r.notes[i].value for i in range(r.note_count)},
            _s(r.sidecar_path) if r.sidecar_path else None)
    finally:
        L.lib.hvs_convert_result_free(res)
