# SPDX-License-Identifier: MIT
"""Installation: `cmake --install` puts the package into the Python site
directory with a _config.py naming the installed library (imported from
there it loads that library, with no HVS_LIBRARY and no build tree), and
`pip install` of python/ installs the same package (skipped without pip
and wheel)."""
import os
import shutil
import subprocess
import sys
import unittest

from hvstest import BIN, SAMPLE, SRC, py_env, tmpdir

CMAKE = os.environ.get("HVS_TEST_CMAKE", "")
SITEDIR = os.environ.get("HVS_TEST_PY_SITEDIR", "")

PROBE = ("import hvsavedstate as h, sys; from hvsavedstate import _lib;"
         "print(h.__file__); print(_lib.lib._name);"
         "img = h.Image(sys.argv[1]); print(img.vp_count); img.close()")


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HVS_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    return py_env(env)


class Install(unittest.TestCase):
    def test_cmake_install(self) -> None:
        if not CMAKE or not SITEDIR:
            self.skipTest("HVS_TEST_CMAKE / HVS_TEST_PY_SITEDIR not set")
        prefix = os.path.join(tmpdir(), "prefix")
        shutil.rmtree(prefix, ignore_errors=True)
        subprocess.run([CMAKE, "--install", BIN, "--prefix", prefix], check=True,
                       capture_output=True)
        site = os.path.join(prefix, SITEDIR)
        cfg = os.path.join(site, "hvsavedstate", "_config.py")
        self.assertTrue(os.path.exists(cfg))
        self.assertTrue(os.path.exists(os.path.join(site, "hvsavedstate", "volatility3",
                                                    "plugins", "hvsavedstate_layers.py")))
        env = clean_env()
        env["PYTHONPATH"] = site
        r = subprocess.run([sys.executable, "-c", PROBE, SAMPLE], env=env, cwd=tmpdir(),
                           capture_output=True, text=True, check=True)
        mod, lib, nvp = r.stdout.split("\n")[:3]
        self.assertTrue(mod.startswith(site), mod)
        self.assertTrue(lib.startswith(os.path.join(prefix, "lib")), lib)
        self.assertEqual(nvp, "2")

    def test_pip_install(self) -> None:
        import importlib.util
        missing = [m for m in ("pip", "wheel", "setuptools") if not importlib.util.find_spec(m)]
        if missing:
            self.skipTest(f"{', '.join(missing)} missing (Debian: python3-pip python3-wheel)")
        src = os.path.join(tmpdir(), "pip-src")
        target = os.path.join(tmpdir(), "pip-target")
        for d in (src, target):
            shutil.rmtree(d, ignore_errors=True)
        # a copy, so that the build leaves nothing in the source tree
        shutil.copytree(os.path.join(SRC, "python"), src,
                        ignore=shutil.ignore_patterns("__pycache__", "tests", "build",
                                                      "*.egg-info"))
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--target", target, src], check=True,
                       capture_output=True)
        env = clean_env()
        env["PYTHONPATH"] = target
        env["HVS_LIBRARY"] = os.path.join(BIN, "libhvsavedstate.so.0")
        r = subprocess.run([sys.executable, "-c", PROBE, SAMPLE], env=env, cwd=tmpdir(),
                           capture_output=True, text=True, check=True)
        self.assertTrue(r.stdout.startswith(target), r.stdout)
        self.assertTrue(os.path.exists(os.path.join(target, "hvsavedstate", "py.typed")))


if __name__ == "__main__":
    unittest.main()
