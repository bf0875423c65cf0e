# SPDX-License-Identifier: MIT
"""examples/regs_rip.py on the generated sample: every VP's RIP line and
the bytes at RIP equal what `hvs regs --json` and `hvs read --gva` give."""
import os
import subprocess
import sys
import unittest

import hvsavedstate as hvs
from hvstest import SAMPLE, cli, need_cli, need_file, py_env

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "examples", "regs_rip.py")


class Example(unittest.TestCase):
    def test_regs_rip(self) -> None:
        need_file(self, SAMPLE, "the generated sample")
        need_cli(self)
        r = subprocess.run([sys.executable, EXAMPLE, SAMPLE], capture_output=True, text=True,
                           check=True, env=py_env())
        regs = cli("regs", "--json", SAMPLE)
        for v in regs["vps"]:
            rip = v["registers"]["rip"]
            self.assertIn(f"  rip                  {rip}\n", r.stdout)
            j = cli("read", "--json", "--gva", rip, "--vp", str(v["vp"]), "--len", "16",
                    SAMPLE, expect_rc=None)
            if j["complete"]:
                hexs = " ".join(j["hex"][i:i + 2] for i in range(0, 32, 2))
                self.assertIn(f"bytes at rip {rip}: {hexs}\n", r.stdout)
            else:
                self.assertIn(f"bytes at rip {rip}: {j['error']}\n", r.stdout)
        self.assertEqual(sum(l.startswith("VP ") for l in r.stdout.splitlines()), 2)


if __name__ == "__main__":
    unittest.main()
