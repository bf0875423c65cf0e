# SPDX-License-Identifier: MIT
"""Every ctypes mirror of a C structure has the C compiler's size and field
offsets (hvs_py_layout, compiled from the public headers)."""
import ctypes
import json
import os
import subprocess
import unittest

from hvsavedstate import _lib as L


class StructLayout(unittest.TestCase):
    def test_layouts(self) -> None:
        exe = os.environ.get("HVS_TEST_LAYOUT", "")
        if not exe or not os.path.exists(exe):
            self.skipTest("hvs_py_layout not built")
        c = json.loads(subprocess.run([exe], check=True, capture_output=True,
                                      text=True).stdout)
        self.assertEqual(sorted(c), sorted(L.STRUCTS))
        for name, cls in L.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(cls), c[name]["size"], name)
                py_fields = [f[0] for f in cls._fields_]
                self.assertEqual(py_fields, list(c[name]["fields"]), name)
                for f, off in c[name]["fields"].items():
                    self.assertEqual(getattr(cls, f).offset, off, f"{name}.{f}")

    def test_constants(self) -> None:
        # Status codes and the error-message size come from the library
        # through the CLI-independent functions.
        self.assertEqual(L.lib.hvs_strerror(L.HVS_OK) != L.lib.hvs_strerror(L.HVS_E_IO), True)
        self.assertEqual(L.lib.hvs_paging_mode_name(4), b"x64-4level")


if __name__ == "__main__":
    unittest.main()
