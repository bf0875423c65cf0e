# SPDX-License-Identifier: MIT
"""hvsavedstate: read Hyper-V saved states (.vmrs, .bin + .vsv), ELF cores and
raw memory images from Python, through libhvsavedstate (ctypes, standard
library only).

    import hvsavedstate as hvs
    with hvs.Image("VM.vmrs") as img:
        for vp in img.vps:
            rip = vp["rip"]
            print(vp.index, vp.arch, vp.paging_mode, hex(rip), vp.read(rip, 16).hex())

Errors raise :class:`HvsError` carrying the library's status code and
message.  See docs/python.md.
"""
from ._core import (ARCHES, FORMATS, PAGING_MODES, Fault, FpControl, HvsError, Image, Key,
                    MemRange, PartitionInfo, Region, RegValue, Segment, Step, Store, Table,
                    Translation, VP, XmmControl, all_registers, apply_regs_json,
                    decode_regval, encode_regval, flag_names, open, parse_layout,
                    reg_kind, reg_lookup, reg_name, strerror, version)
from ._lib import (HVS_E_BUFSIZE, HVS_E_CORRUPT, HVS_E_INVALID, HVS_E_IO, HVS_E_NODATA,
                   HVS_E_NOMEM, HVS_E_NOTFOUND, HVS_E_NOTPRESENT, HVS_E_UNSUPPORTED,
                   HVS_OK, HVS_E_CANCELED)
from .convert import ConvertResult, convert
from .windows import (Field, Global, Module, PeImage, Symbols, WindowsVersion, format_guid,
                      scan_images)
from .writer import VmrsWriter, image_to_vmrs

__all__ = [
    "ARCHES", "FORMATS", "PAGING_MODES", "Fault", "FpControl", "HvsError", "Image", "Key",
    "MemRange", "PartitionInfo", "Region", "RegValue", "Segment", "Step", "Store", "Table",
    "Translation", "VP", "XmmControl", "all_registers", "apply_regs_json", "decode_regval",
    "encode_regval", "flag_names", "open", "parse_layout", "reg_kind", "reg_lookup",
    "reg_name", "strerror", "version", "VmrsWriter", "image_to_vmrs",
    "Field", "Global", "Module", "PeImage", "Symbols", "WindowsVersion", "format_guid",
    "scan_images", "ConvertResult", "convert", "HVS_E_CANCELED",
    "HVS_OK", "HVS_E_INVALID", "HVS_E_NOMEM", "HVS_E_IO", "HVS_E_CORRUPT",
    "HVS_E_UNSUPPORTED", "HVS_E_NOTPRESENT", "HVS_E_NODATA", "HVS_E_NOTFOUND",
    "HVS_E_BUFSIZE",
]
__version__ = "0.1.0"
