# SPDX-License-Identifier: MIT
"""The volatility3 layers (hvsavedstate.volatility3) with the unmodified
volatility3 of ../shared/tools/volatility3:

* its LayerStacker picks HvsRawLayer + HvsPhysicalLayer for a .vmrs (and a
  .bin), and leaves an ELF core to its own Elf64Layer;
* physical reads through the layer equal `hvs read --gpa`, unsaved
  addresses raise InvalidAddressException;
* volatility3's own Intel32e / IntelPAE / Intel layers stacked on it with
  the saved CR3 (layer metadata) translate every ground-truth address of
  the QEMU guests (written to .vmrs by the project's writer) exactly, and
  read the same bytes as `hvs read --gva` and truth.json;
* `vol.py -p <plugins> -f guest.vmrs banners.Banners` prints the banner of
  a generated guest.
"""
from __future__ import annotations

import os
import subprocess
import sys
import unittest
import urllib.request

import hvsavedstate as hvs
from hvstest import SAMPLE, SHARED, cli, need_cli, need_file, py_env, tmpdir
import guests

VOL = os.path.join(SHARED, "tools", "volatility3") if SHARED else ""
PLUGINS = os.path.join(os.path.dirname(hvs.__file__), "volatility3", "plugins")

try:
    if VOL and os.path.exists(os.path.join(VOL, "vol.py")):
        sys.path.insert(0, VOL)
    import volatility3.framework as framework  # type: ignore
    from volatility3.framework import contexts, exceptions  # type: ignore
    from volatility3.framework.automagic import stacker  # type: ignore
    from volatility3.framework.layers import intel, physical  # type: ignore
    import volatility3.framework.layers  # type: ignore
    framework.require_interface_version(2, 0, 0)
    framework.import_files(volatility3.framework.layers, True)
    from hvsavedstate.volatility3 import layer as hl
    HAVE_VOL = True
    WHY = ""
except Exception as e:  # volatility3 or its dependency (pefile) missing
    HAVE_VOL = False
    WHY = f"volatility3 not usable from {VOL or '(no shared dir)'}: {e}"


def stack(path: str):
    """volatility3's LayerStacker over a FileLayer on ``path``: (context, layer names)."""
    ctx = contexts.Context()
    ctx.config["FileLayer.location"] = "file:" + urllib.request.pathname2url(os.path.abspath(path))
    ctx.add_layer(physical.FileLayer(ctx, "FileLayer", "FileLayer"))
    names = stacker.LayerStacker.stack_layer(ctx, "FileLayer")
    return ctx, names


def intel_layer(ctx, phys: str, cr3: int, mode: str):
    cls = {"x64-4level": intel.Intel32e, "pae": intel.IntelPAE, "x86-32": intel.Intel}[mode]
    name = ctx.layers.free_layer_name("TestIntel")
    ctx.config[f"{name}.memory_layer"] = phys
    ctx.config[f"{name}.page_map_offset"] = cr3
    lay = cls(ctx, name, name)
    ctx.add_layer(lay)
    return lay


@unittest.skipUnless(HAVE_VOL, WHY)
class Vol3(unittest.TestCase):
    def test_stacker_vmrs_and_physical_reads(self) -> None:
        need_file(self, SAMPLE, "the generated sample")
        need_cli(self)
        ctx, names = stack(SAMPLE)
        self.assertIn("HvsPhysicalLayer", [type(ctx.layers[n]).__name__ for n in names])
        phys = next(n for n in names if isinstance(ctx.layers[n], hl.HvsPhysicalLayer))
        lay = ctx.layers[phys]
        with hvs.Image(SAMPLE) as img:
            md = lay.metadata
            self.assertEqual(md["vp_page_map_offsets"], tuple(v.cr3 for v in img.vps))
            self.assertEqual(md["page_map_offset"], img.vp(0).cr3)
            self.assertEqual(md["architecture"], "Intel64")
            for gpa, n in [(0, 4096), (0x9F000, 0x1000), (0x100000, 0x10000), (0x3FFFF0, 16)]:
                want = cli("read", "--json", "--gpa", hex(gpa), "--len", str(n), SAMPLE)["hex"]
                self.assertEqual(lay.read(gpa, n).hex(), want)
                self.assertEqual(img.read(gpa, n).hex(), want)
            self.assertFalse(lay.is_valid(0xA0000, 16))
            with self.assertRaises(exceptions.InvalidAddressException):
                lay.read(0x9FFF8, 16)
            self.assertEqual(lay.read(0x9FFF8, 16, pad=True)[:8], img.read(0x9FFF8, 8))
            # Intel32e on the saved CR3 reads what `hvs read --gva` reads.
            il = intel_layer(ctx, phys, md["page_map_offset"], "x64-4level")
            for gva in (0xFFFFF80000000FF0, 0xFFFFF80000200000):
                want = cli("read", "--json", "--gva", hex(gva), "--len", "64", SAMPLE)["hex"]
                self.assertEqual(il.read(gva, 64).hex(), want)

    def test_converted_elf(self) -> None:
        # Image.convert(..., "elf") read back by volatility3's own ELF layer.
        need_file(self, SAMPLE, "the generated sample")
        out = os.path.join(tmpdir(), "vol-convert.elf")
        with hvs.Image(SAMPLE) as img:
            img.convert(out, "elf", force=True)
            ctx, names = stack(out)
            elf = next(ctx.layers[n] for n in names if type(ctx.layers[n]).__name__ == "Elf64Layer")
            for r in img.ranges:
                for a in (r.gpa, r.gpa + r.size // 2, r.end - 4096):
                    self.assertEqual(elf.read(a, 4096), img.read(a, 4096), hex(a))
            self.assertFalse(elf.is_valid(0xA0000, 16))

    def test_stacker_declines_other_bin(self) -> None:
        # A file named .bin that is not a legacy saved state (a raw dump):
        # the library refuses it, the stacker steps aside.
        p = os.path.join(tmpdir(), "not-legacy.bin")
        with open(p, "wb") as f:
            f.write(bytes(range(256)) * 64)
        ctx, names = stack(p)
        self.assertEqual([type(ctx.layers[n]).__name__ for n in names], ["FileLayer"])

    def test_stacker_leaves_elf_alone(self) -> None:
        d = guests.guest_dir("x86_64-tcg")
        if not d:
            self.skipTest("../shared/guests absent")
        ctx, names = stack(guests.core("x86_64-tcg"))
        kinds = [type(ctx.layers[n]).__name__ for n in names]
        self.assertIn("Elf64Layer", kinds)
        self.assertNotIn("HvsRawLayer", kinds)

    def test_stacker_bin(self) -> None:
        b = os.path.join(SHARED, "samples", "test_file.bin") if SHARED else ""
        need_file(self, b, "../shared/samples/test_file.bin")
        need_cli(self)
        ctx, names = stack(b)
        phys = [n for n in names if isinstance(ctx.layers[n], hl.HvsPhysicalLayer)]
        self.assertEqual(len(phys), 1)
        lay = ctx.layers[phys[0]]
        for gpa in (0, 0x1000, 0x7C00, 0x100000, 0xFBFF000):
            want = cli("read", "--json", "--gpa", hex(gpa), "--len", "4096", b)["hex"]
            self.assertEqual(lay.read(gpa, 4096).hex(), want, hex(gpa))
        self.assertEqual(lay.maximum_address, 0xFC00000 - 1)

    def test_guests_translate(self) -> None:
        ran = 0
        self.total_mapped = 0
        for g in ("x86_64-tcg", "x86_64-pti-tcg", "i386-pae-tcg", "i386-tcg"):
            if not guests.guest_dir(g):
                continue
            with self.subTest(guest=g):
                ran += 1
                self._guest(g)
        if not ran:
            self.skipTest("../shared/guests absent")
        # x86_64-tcg 73, x86_64-pti-tcg 56, i386-tcg 143 when this was written
        self.assertGreater(self.total_mapped, 200)

    def _guest(self, g: str) -> None:
        # The same volatility3 Intel layer class, with the same CR3, on our
        # layer (over the .vmrs) and on volatility3's own Elf64Layer (over
        # the QEMU core): both must give the same answer for every truth
        # address, and every answer must be QEMU's.  volatility3 declines
        # some mapped addresses by itself (its Intel layer rejects a page
        # table whose entries are all equal, which Linux has); those fail
        # identically on its ELF layer and are counted, not hidden.
        path = guests.as_vmrs(g)
        ctx, names = stack(path)
        phys = next(n for n in names if isinstance(ctx.layers[n], hl.HvsPhysicalLayer))
        md = ctx.layers[phys].metadata
        ectx, enames = stack(guests.core(g))
        elf = next(n for n in enames if type(ectx.layers[n]).__name__ == "Elf64Layer")
        t = guests.truth(g)
        ours, theirs = {}, {}
        checked = mapped = declined = 0

        def outcome(lay, gva):
            try:
                return "ok", lay.translate(gva)[0]
            except exceptions.InvalidAddressException as x:
                return "invalid", type(x).__name__

        for e in t["translations"]:
            cpu = e["cpu"]
            mode = md["vp_paging_modes"][cpu]
            pm = t["paging_modes"]
            want_mode = pm[cpu] if isinstance(pm, list) else pm[str(cpu)]
            self.assertEqual(mode, {"long4": "x64-4level", "pae": "pae", "32bit": "x86-32"}[want_mode])
            if cpu not in ours:
                cr3 = md["vp_page_map_offsets"][cpu]
                ours[cpu] = intel_layer(ctx, phys, cr3, mode)
                theirs[cpu] = intel_layer(ectx, elf, cr3, mode)
            gva = int(e["gva"], 16)
            a, b = outcome(ours[cpu], gva), outcome(theirs[cpu], gva)
            checked += 1
            self.assertEqual(a, b, f"{g} cpu {cpu} {e['gva']}: our layer vs Elf64Layer")
            if e["gpa"] is None:
                self.assertNotEqual(a[0], "ok", f"{g} {e['gva']} should not be mapped")
                continue
            if a[0] != "ok":
                declined += 1
                continue
            mapped += 1
            self.assertEqual(a[1], int(e["gpa"], 16), f"{g} cpu {cpu} {e['gva']}")
            if e.get("bytes_hex"):
                n = len(e["bytes_hex"]) // 2
                self.assertEqual(ours[cpu].read(gva, n).hex(), e["bytes_hex"].lower(), e["gva"])
        print(f"{g}: {checked} truth addresses; volatility3 {type(ours[0]).__name__} on "
              f"HvsPhysicalLayer translated {mapped} mapped ones to QEMU's GPA, declined "
              f"{declined} (same on its Elf64Layer), and every unmapped one")
        self.total_mapped += mapped

    def test_vol_banners(self) -> None:
        # A generated guest holding a Linux banner at a known GPA.
        out = os.path.join(tmpdir(), "banner.vmrs")
        banner = (b"Linux version 6.1.0-hvs-test (builder@hvsavedstate) "
                  b"(gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC")
        gpa = 0x1234000 + 0x40
        if os.path.exists(out):
            os.unlink(out)
        with hvs.VmrsWriter(out, encoding="xpress") as w:
            w.add_vp(0)
            w.add_range(0, 0xA0000)
            w.add_range(0x100000, 0x2000000 - 0x100000)
            w.write_memory(None, 0xA0000)
            mem = bytearray(0x2000000 - 0x100000)
            off = gpa - 0x100000
            mem[off:off + len(banner) + 1] = banner + b"\0"
            w.write_memory(bytes(mem))
            w.finish()
        env = py_env()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(os.path.dirname(hvs.__file__)),
                                                        env.get("PYTHONPATH", "")) if p)
        r = subprocess.run([sys.executable, os.path.join(VOL, "vol.py"), "-q", "-r", "csv",
                            "-p", PLUGINS, "-f", out, "banners.Banners"],
                           capture_output=True, text=True, env=env, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"0,{gpa:#x},{banner.decode()}", r.stdout.replace("\r", ""), r.stdout)


if __name__ == "__main__":
    unittest.main()
