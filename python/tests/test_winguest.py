# SPDX-License-Identifier: MIT
"""The binding on the Windows-like guest fixture (tests/winguest.cmake:
fake kernel + driver with PDBs, in a .vmrs): info, registers,
translations, regions, keys and reads equal the CLI's JSON; the PE scan
equals `hvs images --json`; symbols equal `hvs sym --json`."""
import os
import unittest

import hvsavedstate as hvs
from hvstest import (BIN, WINGUEST, cli, compare_info, compare_keys, compare_maps, compare_mem,
                     compare_read, compare_regs, compare_xlat, need_cli, need_file)

SYMBOLS = os.path.join(BIN, "winguest", "symbols")


class WinGuest(unittest.TestCase):
    def setUp(self) -> None:
        need_file(self, WINGUEST, "the winguest fixture (needs clang and lld)")
        need_cli(self)
        self.img = hvs.Image(WINGUEST)

    def tearDown(self) -> None:
        self.img.close()

    def test_core_calls(self) -> None:
        compare_info(self, self.img, WINGUEST, [])
        compare_mem(self, self.img, WINGUEST, [])
        compare_regs(self, self.img, WINGUEST, [])
        for vp in range(self.img.vp_count):
            n = compare_maps(self, self.img, WINGUEST, [], vp)
            self.assertGreater(n, 0)
            compare_maps(self, self.img, WINGUEST, [], vp, merge=True)
            regions = self.img.vp(vp).regions()
            gvas = [r.gva for r in regions[:20]] + [r.gva + r.size - 8 for r in regions[:20]]
            gvas += [0, 0x1000, 0xFFFF800000000000, regions[-1].gva + regions[-1].size]
            compare_xlat(self, self.img, WINGUEST, [], vp, gvas)
            for r in regions[:8]:
                compare_read(self, self.img, WINGUEST, [], "gva", r.gva, min(r.size, 8192), vp)
        compare_keys(self, self.img.store(), WINGUEST)

    def test_images(self) -> None:
        j = cli("images", "--json", WINGUEST)
        stats: dict = {}
        got = self.img.vp(0).scan_images(stats=stats)
        self.assertEqual(len(got), len(j["images"]))
        self.assertEqual(stats["images"], len(got))
        for g, w in zip(got, j["images"]):
            self.assertEqual(hex(g.base), w["base"])
            self.assertEqual(hex(g.size), w["size"])
            self.assertEqual(hex(g.timestamp), w["timestamp"])
            self.assertEqual(hex(g.machine), w["machine"])
            self.assertEqual(g.name, w["name"])
            self.assertEqual(g.standalone, w["standalone"])
            self.assertEqual(g.pdb_name, w["pdb_name"])
            self.assertEqual(g.guid, w["guid"])
            self.assertEqual(g.age, w["age"])
            self.assertEqual(g.symbol_store_key, w["symbol_store_key"])

    def test_symbols(self) -> None:
        names = ["nt!NtBuildNumber", "hvsdrv!HvsDrvGlobals", "hvsdrv!HvsDrvBanner",
                 "nt!_LIST_ENTRY", "hvsdrv!_HVSDRV_GLOBALS", "nt!_NO_SUCH_TYPE"]
        j = cli("sym", "--json", "--no-download", "--symbols", SYMBOLS, WINGUEST, *names,
                expect_rc=None)
        with hvs.Symbols(self.img, SYMBOLS, download=False, use_env=False) as sy:
            sy.load_kernel()
            self.assertIsNotNone(sy.kernel())
            for r in j["results"]:
                with self.subTest(name=r["name"]):
                    if r["kind"] == "global":
                        g = sy.resolve(r["name"])
                        self.assertEqual(hex(g.va), r["address"])
                        self.assertEqual(g.size, r["size"])
                        self.assertEqual(g.module, r["module"])
                        self.assertEqual(g.type_name, r.get("type"))
                        self.assertEqual(sy.read(r["name"], len(r["bytes"]) // 2).hex(),
                                         r["bytes"])
                    elif r["kind"] == "type":
                        self.assertEqual(sy.type_size(r["name"]), r["size"])
                        got = [{"name": f.name, "offset": f.offset, "size": f.size,
                                "type": f.type_name} for f in sy.fields(r["name"])]
                        self.assertEqual(got, [{k: f[k] for k in ("name", "offset", "size", "type")}
                                               for f in r["fields"]])
                    else:
                        with self.assertRaises(hvs.HvsError) as cm:
                            sy.resolve(r["name"])
                        self.assertEqual(cm.exception.status, hvs.HVS_E_NOTFOUND)
            mods = sy.modules()
            self.assertTrue(mods[0].is_kernel)
            self.assertEqual(mods[0].name, "nt")


if __name__ == "__main__":
    unittest.main()
