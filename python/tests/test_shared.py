# SPDX-License-Identifier: MIT
"""The binding on ../shared (skipped with a message when absent):

* samples/: the legacy test_file.bin (memory only), the configuration-only
  test.VMRS and test.vmcx: what the binding returns (or the error it
  raises) equals `hvs ... --json` (or the CLI's message);
* guests/: the six QEMU guests, opened as ELF cores with registers.json
  (the CLI's --regs-json) and as .vmrs written by the project's writer:
  registers, ranges, translations with traces, mapped regions and reads
  equal the CLI's, and translations and bytes equal QEMU's ground truth
  (truth.json)."""
import os
import unittest

import hvsavedstate as hvs
from hvstest import (SHARED, cli, cli_err, compare_info, compare_keys, compare_maps,
                     compare_mem, compare_read, compare_regs, compare_xlat, need_cli)
import guests


def sample(name: str) -> str:
    return os.path.join(SHARED, "samples", name) if SHARED else ""


class Samples(unittest.TestCase):
    def setUp(self) -> None:
        need_cli(self)
        if not SHARED or not os.path.isdir(os.path.join(SHARED, "samples")):
            self.skipTest("../shared/samples absent")

    def test_legacy_bin(self) -> None:
        p = sample("test_file.bin")
        with hvs.Image(p) as img:
            self.assertEqual(img.format, "bin")
            self.assertEqual(img.vp_count, 0)
            self.assertIsNone(img.store())
            compare_info(self, img, p, [])
            compare_mem(self, img, p, [])
            for space, a in [("gpa", 0), ("gpa", 0x7C00), ("gpa", 0xFFFF0), ("gpa", 0x1000000),
                             ("gpa", 0xFBFFF00), ("gpa", 0xFC00000), ("raw", 0x123456)]:
                compare_read(self, img, p, [], space, a, 512)

    def test_config_only(self) -> None:
        p = sample("test.VMRS")
        with self.assertRaises(hvs.HvsError) as cm:
            hvs.Image(p)
        rc, msg = cli_err("info", p)
        self.assertEqual(cm.exception.message, msg)
        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)
        with hvs.Store(p) as st:
            self.assertGreater(compare_keys(self, st, p), 10)
        with hvs.Store(sample("test.vmcx")) as st:
            self.assertGreater(compare_keys(self, st, sample("test.vmcx")), 10)


def _mode(t, cpu):
    pm = t["paging_modes"]
    return pm[cpu] if isinstance(pm, list) else pm[str(cpu)]


class Guests(unittest.TestCase):
    def setUp(self) -> None:
        need_cli(self)

    def each(self, fn) -> None:
        ran = 0
        for g in guests.GUESTS:
            if guests.guest_dir(g):
                ran += 1
                with self.subTest(guest=g):
                    fn(g)
        if not ran:
            self.skipTest("../shared/guests absent")

    def test_core_with_regs_json(self) -> None:
        def fn(g: str) -> None:
            core, rj = guests.core(g), guests.regs_json(g)
            opts = ["--regs-json", rj]
            with hvs.Image(core, regs_json=rj) as img:
                self.assertEqual(img.format, "elf")
                compare_info(self, img, core, opts)
                compare_mem(self, img, core, opts)
                compare_regs(self, img, core, opts)
                self._truth(g, img, core, opts)
                for vp in range(img.vp_count):
                    compare_maps(self, img, core, opts, vp)
        self.each(fn)

    def test_written_vmrs(self) -> None:
        def fn(g: str) -> None:
            path = guests.as_vmrs(g)
            with hvs.Image(path) as img:
                self.assertEqual(img.format, "vmrs")
                compare_info(self, img, path, [])
                compare_regs(self, img, path, [])
                self._truth(g, img, path, [])
        self.each(fn)

    def _truth(self, g: str, img: hvs.Image, path: str, opts) -> None:
        t = guests.truth(g)
        names = {"long4": "x64-4level", "long5": "x64-5level", "pae": "pae",
                 "32bit": "x86-32", "armv8": "arm64"}
        by_cpu = {}
        for e in t["translations"]:
            by_cpu.setdefault(e["cpu"], []).append(e)
        for cpu, es in by_cpu.items():
            vp = img.vp(cpu)
            self.assertEqual(vp.paging_mode, names[_mode(t, cpu)])
            gvas = [int(e["gva"], 16) for e in es]
            # the CLI, in batches (one process per ~60 addresses)
            for i in range(0, len(gvas), 60):
                compare_xlat(self, img, path, opts, cpu, gvas[i:i + 60])
            for e, gva in zip(es, gvas):
                tr = vp.trace(gva)
                if e["gpa"] is None:
                    self.assertEqual(tr.status, hvs.HVS_E_NOTPRESENT, f"{g} {e['gva']}")
                    continue
                self.assertEqual(tr.gpa, int(e["gpa"], 16), f"{g} {e['gva']}")
                self.assertEqual(tr.page_size, e["page_size"], f"{g} {e['gva']}")
                if e.get("bytes_hex"):
                    n = len(e["bytes_hex"]) // 2
                    self.assertEqual(vp.read(gva, n).hex(), e["bytes_hex"].lower())
                    self.assertEqual(img.read(tr.gpa, n).hex(), e["bytes_hex"].lower())


if __name__ == "__main__":
    unittest.main()
