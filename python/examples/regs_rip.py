#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print each virtual processor's registers and the first bytes at its
instruction pointer, read through the guest's page tables.

    python3 regs_rip.py VM.vmrs
    python3 regs_rip.py --regs-json registers.json core.elf
    python3 regs_rip.py --format raw --layout 0:0x8000000@0 --set-reg cr3=0x1ab000 mem.raw
"""
import argparse
import sys

import hvsavedstate as hvs


def show(v) -> str:
    if isinstance(v, int):
        return f"{v:#x}"
    return "{" + ", ".join(f"{k}={x:#x}" for k, x in vars(v).items()) + "}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--format", default="auto")
    ap.add_argument("--layout")
    ap.add_argument("--vsv")
    ap.add_argument("--regs-json")
    ap.add_argument("--set-reg", action="append", default=[])
    ap.add_argument("--bytes", type=int, default=16, help="bytes to show at RIP (default 16)")
    a = ap.parse_args()
    try:
        with hvs.Image(a.file, format=a.format, layout=a.layout, vsv=a.vsv,
                       regs_json=a.regs_json, set_regs=a.set_reg) as img:
            if img.vp_count == 0:
                print(f"{a.file}: no processor state (memory only)")
                return 0
            for vp in img.vps:
                print(f"VP {vp.index} ({vp.arch}, VTL {vp.active_vtl}):")
                regs = vp.registers()
                for name, val in regs.items():
                    print(f"  {name:<20} {show(val)}")
                pc = "pc" if vp.arch == "arm64" else "rip"
                if pc not in regs:
                    print(f"  no {pc} saved")
                    continue
                try:
                    mode = vp.paging_mode
                    code = vp.read(regs[pc], a.bytes)
                    print(f"  [{mode}] bytes at {pc} {regs[pc]:#x}: {code.hex(' ')}")
                except hvs.HvsError as e:
                    print(f"  bytes at {pc} {regs[pc]:#x}: {e.message}")
    except hvs.HvsError as e:
        print(f"regs_rip: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
