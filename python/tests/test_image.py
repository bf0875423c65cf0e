# SPDX-License-Identifier: MIT
"""The binding on the generated sample (tests/data/sample-x64.spec, built by
the hvs_gen_sample fixture): every call returns what `hvs ... --json`
returns for the same file and options, and errors carry the library's
status and message."""
import os
import shutil
import unittest

import hvsavedstate as hvs
from hvstest import (SAMPLE, cli, cli_err, compare_info, compare_keys, compare_maps,
                     compare_mem, compare_read, compare_regs, compare_xlat, need_cli,
                     need_file, tmpdir)

GVAS = [0xFFFFF80000000000, 0xFFFFF80000001000, 0xFFFFF80000001FF8, 0xFFFFF80000200123,
        0xFFFFF803FFFFF000, 0x1000, 0x7FF600001100, 0x8000000000000000, 0xFFFFF80000400000]


class Sample(unittest.TestCase):
    def setUp(self) -> None:
        need_file(self, SAMPLE, "the generated sample (hvs_gen_sample fixture)")
        need_cli(self)
        self.img = hvs.Image(SAMPLE)

    def tearDown(self) -> None:
        self.img.close()

    def test_info(self) -> None:
        compare_info(self, self.img, SAMPLE, [])
        self.assertEqual(self.img.format, "vmrs")
        self.assertEqual(self.img.vp_count, 2)

    def test_mem(self) -> None:
        compare_mem(self, self.img, SAMPLE, [])

    def test_regs(self) -> None:
        self.assertGreater(compare_regs(self, self.img, SAMPLE, []), 100)
        # by name and id, and the documented spellings
        vp = self.img.vp(0)
        self.assertEqual(vp["rip"], 0xFFFFF80000001000)
        self.assertEqual(vp.reg(hvs.reg_lookup("RIP")), vp["rip"])
        self.assertEqual(vp["eax"], vp["rax"])
        self.assertEqual(vp.cr3, 0x10000)
        self.assertEqual(vp.vtls, [0])

    def test_read(self) -> None:
        for space, addr, n in [("gpa", 0, 64), ("gpa", 0x9FFF8, 16), ("gpa", 0xA0000, 4),
                               ("gpa", 0x100000, 8192), ("gpa", 0x3FFFF0, 32),
                               ("raw", 0xA0000, 16), ("raw", 0x3FFFF0, 32),
                               ("gva", 0xFFFFF80000000FF0, 64), ("gva", 0xFFFFF80000001FF8, 16),
                               ("gva", 0x1000, 8)]:
            with self.subTest(space=space, addr=hex(addr)):
                compare_read(self, self.img, SAMPLE, [], space, addr, n)

    def test_read_errors(self) -> None:
        with self.assertRaises(hvs.HvsError) as cm:
            self.img.read(0xA0000, 16)
        self.assertEqual(cm.exception.status, hvs.HVS_E_NODATA)
        rc, msg = cli_err("read", "--gpa", "0xa0000", "--len", "16", SAMPLE)
        self.assertEqual(rc, 5)
        self.assertIn(cm.exception.message, msg)
        with self.assertRaises(TypeError):
            self.img.read_into(0, b"immutable")

    def test_xlat(self) -> None:
        for vp in (0, 1):
            compare_xlat(self, self.img, SAMPLE, [], vp, GVAS)
        t = self.img.vp(0).trace(0x1000)
        self.assertEqual(t.status, hvs.HVS_E_NOTPRESENT)
        self.assertEqual(t.fault.kind, "not present")
        f = self.img.vp(0).last_fault()
        self.assertIsNotNone(f)

    def test_maps(self) -> None:
        self.assertGreater(compare_maps(self, self.img, SAMPLE, [], 0), 2)
        compare_maps(self, self.img, SAMPLE, [], 0, merge=True)
        compare_maps(self, self.img, SAMPLE, [], 1)

    def test_keys(self) -> None:
        st = self.img.store()
        self.assertIsNotNone(st)
        n = compare_keys(self, st, SAMPLE)
        self.assertEqual(n - 1, st.info()["key_count"])
        self.assertEqual(st.find("/savedstate/type").value, "Normal")
        with hvs.Store(SAMPLE) as st2:
            self.assertEqual(compare_keys(self, st2, SAMPLE), n)
        with self.assertRaises(hvs.HvsError) as cm:
            st.find("/no/such/key")
        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)

    def test_context_and_close(self) -> None:
        with hvs.Image(SAMPLE) as img:
            self.assertFalse(img.closed)
        self.assertTrue(img.closed)
        img.close()  # idempotent
        with self.assertRaises(ValueError):
            img.read(0, 1)

    def test_overrides(self) -> None:
        # --set-reg, --paging, --vp/--vtl as the CLI applies them.
        opts = ["--set-reg", "1:cr3=0x10000", "--set-reg", "rip=0x1234", "--paging", "x64-4level"]
        with hvs.Image(SAMPLE, set_regs=["1:cr3=0x10000", "rip=0x1234"], paging="x64-4level",
                       vp=0, vtl=0) as img:
            compare_regs(self, img, SAMPLE, opts)
            compare_xlat(self, img, SAMPLE, opts, 1, GVAS[:4])
            self.assertEqual(img.vp(0)["rip"], 0x1234)

    def test_raw_layout(self) -> None:
        # The sample's memory as a raw image with the CLI's --layout, and
        # the paging registers supplied with --set-reg.
        d = tmpdir()
        raw = os.path.join(d, "sample.raw")
        with open(raw, "wb") as f:
            f.write(self.img.read_raw(0, self.img.raw_size))
        layout = ",".join(f"{r.gpa:#x}:{r.size:#x}@{r.raw_offset:#x}" for r in self.img.ranges)
        sets = ["cr0=0x80050033", "cr3=0x10000", "cr4=0x3506f8", "efer=0xd01"]
        opts = ["--format", "raw", "--layout", layout] + sum((["--set-reg", s] for s in sets), [])
        with hvs.Image(raw, format="raw", layout=layout, set_regs=sets) as img:
            self.assertEqual(img.format, "raw")
            compare_mem(self, img, raw, ["--format", "raw", "--layout", layout])
            compare_xlat(self, img, raw, opts, 0, GVAS)
            compare_read(self, img, raw, opts, "gva", 0xFFFFF80000000FF0, 64)
        with hvs.Image(raw, layout=hvs.parse_layout(layout)) as img:
            self.assertEqual(img.vp_count, 0)
            # raw_offset is the offset in the raw saved memory (ranges
            # concatenated), not the file offset of the layout.
            self.assertEqual([(r.gpa, r.size) for r in img.ranges],
                             [(r.gpa, r.size) for r in self.img.ranges])

    def test_open_errors(self) -> None:
        d = tmpdir()
        trunc = os.path.join(d, "trunc.vmrs")
        with open(SAMPLE, "rb") as f, open(trunc, "wb") as g:
            g.write(f.read(5000))
        for path in (trunc, os.path.join(d, "missing.vmrs")):
            with self.assertRaises(hvs.HvsError) as cm:
                hvs.Image(path)
            rc, msg = cli_err("info", path)
            self.assertEqual(cm.exception.message, msg)
            self.assertNotEqual(cm.exception.status, 0)
        with self.assertRaises(hvs.HvsError) as cm:
            hvs.Image(SAMPLE, vp=7)
        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)
        with self.assertRaises(hvs.HvsError) as cm:
            self.img.vp(0).set_active_vtl(1)
        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)
        self.assertEqual(cm.exception.message, self.img.errmsg())
        with self.assertRaises(hvs.HvsError):
            hvs.reg_lookup("nosuchreg")

    def test_writer_roundtrip(self) -> None:
        # image_to_vmrs() copies memory and registers; the CLI reads the
        # copy exactly as the original.
        out = os.path.join(tmpdir(), "copy.vmrs")
        if os.path.exists(out):
            os.unlink(out)
        hvs.image_to_vmrs(self.img, out)
        with self.assertRaises(FileExistsError):
            hvs.image_to_vmrs(self.img, out)
        a = cli("regs", "--json", SAMPLE)
        b = cli("regs", "--json", out)
        for va, vb in zip(a["vps"], b["vps"]):
            self.assertEqual(va["registers"]["rip"], vb["registers"]["rip"])
            self.assertEqual(va["registers"]["cr3"], vb["registers"]["cr3"])
        self.assertEqual(cli("read", "--json", "--gpa", "0x100000", "--len", "4096", out)["hex"],
                         cli("read", "--json", "--gpa", "0x100000", "--len", "4096", SAMPLE)["hex"])


if __name__ == "__main__":
    unittest.main()


class Lifetimes(unittest.TestCase):
    def test_borrowed_after_close(self) -> None:
        need_file(self, SAMPLE, "the generated sample")
        img = hvs.Image(SAMPLE)
        st = img.store()
        key = st.find("/savedstate/type")
        vp = img.vp(0)
        img.close()
        for fn in (lambda: key.value, lambda: key.size, lambda: key.parent, lambda: key.info(),
                   lambda: st.root, lambda: vp["rip"], lambda: vp.read(0, 1)):
            with self.assertRaises(ValueError):
                fn()


class GeneratedVariants(unittest.TestCase):
    """VTLs and ARM64: small saved states made at test time by hvs-gen."""

    def gen(self, name: str, spec: str) -> str:
        from hvstest import GEN
        need_file(self, GEN, "hvs-gen")
        need_cli(self)
        d = tmpdir()
        sp, out = os.path.join(d, name + ".spec"), os.path.join(d, name + ".vmrs")
        with open(sp, "w") as f:
            f.write(spec)
        if os.path.exists(out):
            os.unlink(out)
        import subprocess
        subprocess.run([GEN, sp, out], check=True, capture_output=True)
        return out

    def test_vtls(self) -> None:
        p = self.gen("vtl", """arch x64
vps 2
vtls 0,1
active-vtl 1
range 0x0 0x200000
fill pattern
std-regs
reg 0 0 cr3 0x10000
reg 0 1 cr3 0x20000
reg 1 0 cr3 0x10000
reg 1 1 cr3 0x20000
reg 0 1 rip 0xfffff80000001000
zero 0x10000 0x4000
zero 0x20000 0x4000
poke 0x10f80 0x11003
poke 0x11000 0x12003
poke 0x12000 0x13003
poke 0x13008 0x101003
poke 0x20f80 0x21003
poke 0x21000 0x22003
poke 0x22000 0x23003
poke 0x23008 0x150003
""")
        gvas = [0xFFFFF80000001000, 0xFFFFF80000002000, 0x1000]
        with hvs.Image(p) as img:
            compare_info(self, img, p, [])
            compare_regs(self, img, p, [])
            for vp in img.vps:
                self.assertEqual(vp.vtls, [0, 1])
                self.assertEqual(vp.active_vtl, 1)
            compare_xlat(self, img, p, [], 0, gvas)
            self.assertEqual(img.vp(0).translate(gvas[0]), 0x150000)
            self.assertEqual(img.vp(0).reg("cr3", vtl=0), 0x10000)
        with hvs.Image(p, vp=0, vtl=0) as img:
            self.assertEqual(img.vp(0).active_vtl, 0)
            compare_xlat(self, img, p, ["--vtl", "0"], 0, gvas)
            self.assertEqual(img.vp(0).translate(gvas[0]), 0x101000)
        with self.assertRaises(hvs.HvsError) as cm:
            hvs.Image(p, vp=0, vtl=2)
        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)

    def test_arm64(self) -> None:
        p = self.gen("arm64", """arch arm64
vps 2
range 0x40000000 0x200000
fill pattern
std-regs
""")
        with hvs.Image(p) as img:
            compare_info(self, img, p, [])
            compare_mem(self, img, p, [])
            compare_regs(self, img, p, [])
            self.assertEqual(img.vp(0).arch, "arm64")
            self.assertIn("pc", img.vp(0).registers())
            compare_read(self, img, p, [], "gpa", 0x40000000, 4096)


class WriterSafety(unittest.TestCase):
    def test_no_temp_left_and_no_overwrite(self) -> None:
        need_file(self, SAMPLE, "the generated sample")
        d = os.path.join(tmpdir(), "writer-safety")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        out = os.path.join(d, "x.vmrs")
        with hvs.Image(SAMPLE) as img:
            hvs.image_to_vmrs(img, out)
            self.assertEqual(os.listdir(d), ["x.vmrs"])
            size = os.path.getsize(out)
            with open(out, "ab") as f:
                f.write(b"marker")
            with self.assertRaises(FileExistsError):
                hvs.image_to_vmrs(img, out)
            self.assertEqual(os.path.getsize(out), size + 6)  # untouched
            hvs.image_to_vmrs(img, out, overwrite=True)
            self.assertEqual(os.path.getsize(out), size)
            self.assertEqual(os.listdir(d), ["x.vmrs"])
