# SPDX-License-Identifier: MIT
"""Run one test module of python/tests with unittest (ctest's driver).

Exit status: 0 when everything passed, 1 on a failure, 77 (ctest's skip
code) when every test of the module was skipped, e.g. without ../shared.
"""
import os
import sys
import unittest

# Sanitizer builds: the library needs the sanitizer runtime preloaded into
# the interpreter (python/CMakeLists.txt).  Re-exec with it, then drop it
# from the environment: the C tools the tests run carry their own runtime.
pre = os.environ.get("HVS_TEST_PRELOAD")
if pre and os.environ.get("LD_PRELOAD") != pre:
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "LD_PRELOAD": pre})
if pre:
    del os.environ["LD_PRELOAD"]

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
name = sys.argv[1]
suite = unittest.defaultTestLoader.loadTestsFromName(name)
res = unittest.TextTestRunner(verbosity=2).run(suite)
if not res.wasSuccessful():
    sys.exit(1)
if res.testsRun and len(res.skipped) == res.testsRun:
    print("skipped: every test of", name, "was skipped")
    sys.exit(77)
sys.exit(0)
