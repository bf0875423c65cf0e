#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Translate guest-virtual addresses through volatility3's Intel32e layer.

Usage: vol_xlat.py VOLATILITY3_DIR raw|elf FILE CR3 GVA...

Stacks volatility3's own layers -- FileLayer, then Elf64Layer for an ELF
core, then Intel32e (4-level x86-64 paging) with page_map_offset = CR3 --
and prints one line per GVA: "GVA GPA HEX16" (the physical address and 16
bytes read through the virtual layer, "-" when that page is not in the
file) or "GVA none" (not mapped).  Used by
tests/unit/test_convert.c as an independent reader of hvs convert's raw
and ELF outputs; nothing of hvsavedstate is imported.
"""
import pathlib
import sys


def main():
    voldir, kind, path, cr3 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4], 0)
    sys.path.insert(0, voldir)
    from volatility3.framework import contexts, exceptions
    from volatility3.framework.layers import elf, intel, physical

    ctx = contexts.Context()
    ctx.config["base.location"] = pathlib.Path(path).resolve().as_uri()
    ctx.add_layer(physical.FileLayer(ctx, "base", "base"))
    phys = "base"
    if kind == "elf":
        ctx.config["elf.base_layer"] = "base"
        ctx.add_layer(elf.Elf64Layer(ctx, "elf", "elf"))
        phys = "elf"
    ctx.config["virt.memory_layer"] = phys
    ctx.config["virt.page_map_offset"] = cr3 & 0x000FFFFFFFFFF000
    layer = intel.Intel32e(ctx, "virt", "virt")
    ctx.add_layer(layer)
    for a in sys.argv[5:]:
        gva = int(a, 0)
        try:
            gpa, _ = layer.translate(gva)
        except exceptions.InvalidAddressException:
            print("0x%x none" % gva)
            continue
        try:
            data = layer.read(gva, 16).hex()
        except exceptions.InvalidAddressException:
            data = "-"  # mapped, but the page itself is not in the file
        print("0x%x 0x%x %s" % (gva, gpa, data))


if __name__ == "__main__":
    main()
