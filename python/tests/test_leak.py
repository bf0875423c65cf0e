# SPDX-License-Identifier: MIT
"""No handle leak: 10,000 open/read/close cycles (and 10,000 failing
opens) leave the process's resident memory and open descriptors flat."""
import gc
import os
import resource
import unittest

import hvsavedstate as hvs
from hvstest import SAMPLE, need_file, tmpdir

N = 10000


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (resource.getpagesize() // 1024)


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Leak(unittest.TestCase):
    def setUp(self) -> None:
        need_file(self, SAMPLE, "the generated sample (hvs_gen_sample fixture)")
        if not os.path.exists("/proc/self/statm"):
            self.skipTest("needs /proc")
        if os.environ.get("HVS_TEST_SANITIZED"):
            # ASan's quarantine holds freed memory: RSS says nothing here
            # (the sanitizer C tests check for leaks instead).
            self.skipTest("RSS is not meaningful under AddressSanitizer")

    def cycle(self, fn, label: str) -> None:
        for _ in range(500):  # warm up allocator and caches
            fn()
        gc.collect()
        r0, f0 = rss_kib(), fds()
        for _ in range(N):
            fn()
        gc.collect()
        r1, f1 = rss_kib(), fds()
        print(f"{label}: {N} cycles, RSS {r0} -> {r1} KiB, fds {f0} -> {f1}")
        self.assertEqual(f1, f0, f"{label}: descriptors leaked")
        # A leak of even one 1 MiB block cache or 100 bytes per cycle
        # would exceed this.
        self.assertLess(r1 - r0, 1024, f"{label}: RSS grew {r1 - r0} KiB")

    def test_open_read_close(self) -> None:
        def fn() -> None:
            with hvs.Image(SAMPLE) as img:
                img.read(0x100000, 4096)
                img.vp(0).read(0xFFFFF80000001000, 64)
                img.vp(0).trace(0x1000)
                img.store().find("/savedstate/type").value
        self.cycle(fn, "open/read/close")

    def test_failed_open(self) -> None:
        bad = os.path.join(tmpdir(), "leak-trunc.vmrs")
        with open(SAMPLE, "rb") as f, open(bad, "wb") as g:
            g.write(f.read(5000))

        def fn() -> None:
            try:
                hvs.Image(bad)
            except hvs.HvsError:
                pass
            else:
                raise AssertionError("truncated file opened")
        self.cycle(fn, "failed open")

    def test_dropped_without_close(self) -> None:
        def fn() -> None:
            hvs.Image(SAMPLE).read(0, 16)  # closed by __del__
        self.cycle(fn, "no close")


if __name__ == "__main__":
    unittest.main()
