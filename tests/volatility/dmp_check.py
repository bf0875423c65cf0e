# SPDX-License-Identifier: MIT
"""Read a Windows crash dump with volatility3 and print what it sees.

Used by tests/unit/test_dmp_vol.c: the C test converts an image with the
library, runs this script, and compares every line with the library's own
reads of the input.  volatility3 is an independent reader: its
WindowsCrashDump64Layer (framework/layers/crash.py) maps the header's runs
(DumpType 1) or the summary bitmap (DumpType 5) to physical pages, its
Intel32e layer walks the page tables from DirectoryTableBase, and its
kdbg.json gives the KDDEBUGGER_DATA64 offsets.

usage: dmp_check.py VOLATILITY3_DIR DUMP [VA ...]
output, one fact a line (numbers in hex without 0x):
  header <DumpType> <DirectoryTableBase> <KdDebuggerDataBlock>
         <NumberProcessors> <MajorVersion> <MinorVersion>
         <PsLoadedModuleList> <PsActiveProcessHead> <PfnDataBase>
         <MachineImageType>
  header2 <SystemTime> <SystemUpTime> <ProductType> <SuiteMask> <RequiredDumpSpace>
  seg <gpa> <len> <sha256 of the bytes the crash layer returns>
  xlat <va> <gpa or ->          (kernel layer on DirectoryTableBase)
  kdbg <OwnerTag> <KernBase> <KiProcessorBlock> <OffsetPrcbContext>
  ctx <i> <va of the CONTEXT> <0x4D0 bytes in hex>
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, sys.argv[1])
from volatility3.framework import contexts, constants  # noqa: E402
from volatility3.framework.layers import crash, intel, physical  # noqa: E402
from volatility3.framework.symbols import intermed  # noqa: E402


def main():
    path = os.path.abspath(sys.argv[2])
    vas = [int(v, 16) for v in sys.argv[3:]]
    ctx = contexts.Context()
    ctx.config["base.location"] = "file://" + path
    ctx.add_layer(physical.FileLayer(ctx, "base", "base"))
    ctx.config["crash.base_layer"] = "base"
    cl = crash.WindowsCrashDump64Layer(ctx, "crash", "crash")
    ctx.add_layer(cl)
    h = cl.get_header()
    print("header %x %x %x %x %x %x %x %x %x %x" % (
        int(h.DumpType), int(h.DirectoryTableBase), int(h.KdDebuggerDataBlock),
        int(h.NumberProcessors), int(h.MajorVersion), int(h.MinorVersion),
        int(h.PsLoadedModuleList), int(h.PsActiveProcessHead),
        int(h.PfnDataBase), int(h.MachineImageType)))
    print("header2 %x %x %x %x %x" % (
        int(h.SystemTime), int(h.SystemUpTime), int(h.ProductType), int(h.SuiteMask),
        int(h.RequiredDumpSpace)))
    for start, _off, length, _ in cl._segments:
        sha = hashlib.sha256()
        pos = 0
        while pos < length:
            n = min(1 << 22, length - pos)
            sha.update(cl.read(start + pos, n))
            pos += n
        print("seg %x %x %s" % (start, length, sha.hexdigest()))
    if not int(h.DirectoryTableBase):
        return
    ctx.config["kernel.memory_layer"] = "crash"
    ctx.config["kernel.page_map_offset"] = int(h.DirectoryTableBase)
    k = intel.Intel32e(ctx, "kernel", "kernel")
    ctx.add_layer(k)
    for va in vas:
        try:
            gpa, _layer = k.translate(va)
            print("xlat %x %x" % (va, gpa))
        except Exception:  # volatility raises PagedInvalidAddressException
            print("xlat %x -" % va)
    kva = int(h.KdDebuggerDataBlock)
    if not kva:
        return
    table = intermed.IntermediateSymbolTable.create(ctx, "kdbgsyms", "windows", "kdbg")
    kd = ctx.object(table + constants.BANG + "_KDDEBUGGER_DATA64",
                    layer_name="kernel", offset=kva)
    owner = struct.unpack("<I", k.read(kd.Header.vol.offset + 0x10, 4))[0]
    print("kdbg %x %x %x %x" % (owner, int(kd.KernBase), int(kd.KiProcessorBlock),
                                int(kd.OffsetPrcbContext)))
    for i in range(int(h.NumberProcessors)):
        prcb = struct.unpack("<Q", k.read(int(kd.KiProcessorBlock) + 8 * i, 8))[0]
        cva = struct.unpack("<Q", k.read(prcb + int(kd.OffsetPrcbContext), 8))[0]
        print("ctx %x %x %s" % (i, cva, k.read(cva, 0x4D0).hex()))


if __name__ == "__main__":
    main()
