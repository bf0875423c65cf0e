# SPDX-License-Identifier: MIT
"""Helpers shared by the Python tests: where things are (set by ctest,
python/CMakeLists.txt), running the hvs CLI for its JSON (an independent
code path over the C API), and converting binding values to the CLI's
JSON spellings."""
from __future__ import annotations

import json
import os
import subprocess
import unittest
from typing import Any, List, Optional

import hvsavedstate as hvs

BIN = os.environ.get("HVS_TEST_BINARY_DIR", "")
SRC = os.environ.get("HVS_TEST_SOURCE_DIR", "")
SHARED = os.environ.get("HVS_TEST_SHARED_DIR", "")
HVS = os.environ.get("HVS_TEST_HVS", "")
GEN = os.environ.get("HVS_TEST_GEN", "")
SAMPLE = os.path.join(BIN, "sample-x64.vmrs")
WINGUEST = os.path.join(BIN, "winguest", "winguest.vmrs")
TMP = os.path.join(BIN, "tmp", "python")


def py_env(env: Optional[dict] = None) -> dict:
    """Environment for a Python subprocess that loads the library (with the
    sanitizer runtime preloaded in sanitizer builds)."""
    env = dict(os.environ if env is None else env)
    pre = os.environ.get("HVS_TEST_PRELOAD")
    if pre:
        env["LD_PRELOAD"] = pre
    return env


def tmpdir() -> str:
    os.makedirs(TMP, exist_ok=True)
    return TMP


def need_file(tc: unittest.TestCase, path: str, what: str) -> None:
    if not path or not os.path.exists(path):
        tc.skipTest(f"{what} not found ({path or 'unset'})")


def need_cli(tc: unittest.TestCase) -> None:
    if not HVS or not os.path.exists(HVS):
        tc.skipTest("the hvs CLI was not built")


def shared(*parts: str) -> Optional[str]:
    p = os.path.join(SHARED, *parts)
    return p if SHARED and os.path.exists(p) else None


def cli(*args: str, expect_rc: Optional[int] = 0) -> Any:
    """Run `hvs ARGS --json` and return the parsed document."""
    r = subprocess.run([HVS, *args], capture_output=True, text=True)
    if expect_rc is not None and r.returncode != expect_rc:
        raise AssertionError(f"hvs {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return json.loads(r.stdout) if r.stdout.strip().startswith(("{", "[")) else None


def cli_err(*args: str) -> tuple:
    """(exit code, stderr without the 'hvs: ' prefix) of a failing command."""
    r = subprocess.run([HVS, *args], capture_output=True, text=True)
    return r.returncode, r.stderr.strip().removeprefix("hvs: ")


def h(v: int) -> str:
    return hex(v)


def reg_json(v: Any, name: str = "") -> Any:
    """A register value as `hvs regs --json` prints it (128-bit ones as 32
    hex digits)."""
    if isinstance(v, int) and name and hvs.reg_kind(hvs.reg_lookup(name)) == "u128":
        return f"0x{v:032x}"
    if isinstance(v, int):
        return hex(v)
    if isinstance(v, hvs.Segment):
        return {"selector": h(v.selector), "base": h(v.base), "limit": h(v.limit),
                "attributes": h(v.attributes)}
    if isinstance(v, hvs.Table):
        return {"base": h(v.base), "limit": h(v.limit)}
    if isinstance(v, hvs.FpControl):
        return {"fcw": h(v.fcw), "fsw": h(v.fsw), "ftw": h(v.ftw), "fop": h(v.fop),
                "ip": h(v.ip)}
    if isinstance(v, hvs.XmmControl):
        return {"mxcsr": h(v.mxcsr), "mxcsr_mask": h(v.mxcsr_mask), "dp": h(v.dp)}
    raise TypeError(type(v))


def vp_opts(**kw: Any) -> List[str]:
    """CLI options equivalent to Image() keyword options."""
    out: List[str] = []
    for k, v in kw.items():
        if v is None:
            continue
        if k == "set_regs":
            for s in v:
                out += ["--set-reg", s]
        else:
            out += ["--" + k.replace("_", "-"), str(v)]
    return out


# ------------------------------------------------------------ comparisons
# Each compares what the binding returns with the CLI's JSON for the same
# input and options.  `opts` are Image() keywords; `cli_opts` the same as
# CLI options.


def compare_info(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str]) -> None:
    j = cli("info", "--json", *cli_opts, path)
    tc.assertEqual(img.format, j["format"])
    tc.assertEqual(img.vp_count, j.get("vp_count", 0))
    pi = img.partition_info()
    if "arch" in j:
        tc.assertEqual(pi.arch, j["arch"])
    if "vtl_mask" in j:
        tc.assertEqual(h(pi.vtl_mask), j["vtl_mask"])
    if "vm_version" in j:  # null when the input has none
        tc.assertEqual(h(pi.vm_version) if pi.vm_version else None, j["vm_version"])
    for g in j.get("guest_os", []):
        tc.assertEqual(h(pi.guest_os_ids[g["vtl"]]), g["id"])
    for vp, jv in zip(img.vps, j.get("vps", [])):
        tc.assertEqual(vp.hw_index, jv["index"])
        tc.assertEqual(vp.arch, jv["arch"])
        tc.assertEqual(h(vp.vtl_mask), jv["vtl_mask"])
        tc.assertEqual(vp.saved_vtl, jv["saved_vtl"])
        tc.assertEqual(vp.active_vtl, jv["active_vtl"])
        if "paging_mode" in jv:
            tc.assertEqual(vp.paging_mode, jv["paging_mode"])
        if "kernel_mode" in jv:
            tc.assertEqual(vp.in_kernel(), jv["kernel_mode"])


def compare_mem(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str]) -> None:
    j = cli("mem", "--json", *cli_opts, path)
    got = [(h(r.gpa), h(r.end), h(r.raw_offset)) for r in img.ranges]
    want = [(r["start"], r["end"], r["raw_offset"]) for r in j["ranges"]]
    tc.assertEqual(got, want)
    tc.assertEqual(img.raw_size, j["raw_size"])


def compare_regs(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str]) -> int:
    j = cli("regs", "--json", *cli_opts, path)
    n = 0
    for jv in j["vps"]:
        vp = img.vp(jv["vp"])
        got = {k: reg_json(v, k) for k, v in vp.registers(vtl=jv["vtl"]).items()}
        tc.assertEqual(got, jv["registers"], f"VP {jv['vp']} VTL {jv['vtl']}")
        if jv["active"]:
            tc.assertEqual(vp.active_vtl, jv["vtl"])
            for name, val in jv["registers"].items():
                tc.assertEqual(reg_json(vp[name], name), val)
        n += len(got)
    return n


def compare_read(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str],
                 space: str, addr: int, length: int, vp: int = 0) -> None:
    args = ["read", "--json", "--len", str(length), *cli_opts]
    if space == "gva":
        args += ["--gva", h(addr), "--vp", str(vp)]
    elif space == "raw":
        args += ["--raw-offset", "--gpa", h(addr)]
    else:
        args += ["--gpa", h(addr)]
    j = cli(*args, path, expect_rc=None)
    buf = bytearray(length)
    try:
        if space == "gva":
            n = img.vp(vp).read_into(addr, buf)
        else:
            n = img.read_into(addr, memoryview(buf), raw=(space == "raw"))
        tc.assertTrue(j["complete"], f"{space} {addr:#x}: binding read, CLI did not")
        tc.assertEqual(n, length)
        tc.assertEqual(buf.hex(), j["hex"])
        # bytes form too
        data = img.vp(vp).read(addr, length) if space == "gva" else img.read(addr, length, raw=(space == "raw"))
        tc.assertEqual(data.hex(), j["hex"])
    except hvs.HvsError as e:
        tc.assertFalse(j["complete"], f"{space} {addr:#x}: CLI read, binding raised {e}")
        tc.assertEqual(e.done, j["read"])
        tc.assertEqual(bytes(buf[:e.done]).hex(), j["hex"])
        tc.assertEqual(e.message, j["error"])


def compare_xlat(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str],
                 vp: int, gvas: List[int]) -> None:
    j = cli("xlat", "--json", "--trace", "--vp", str(vp), *cli_opts, path,
            *[h(g) for g in gvas], expect_rc=None)
    v = img.vp(vp)
    tc.assertEqual(v.paging_mode, j["paging_mode"])
    for g, jt in zip(gvas, j["translations"]):
        t = v.trace(g)
        tc.assertEqual(h(t.gva), jt["gva"])
        steps = [{"level": s.name, "entry_gpa": h(s.entry_gpa), "entry": h(s.entry)}
                 for s in t.steps]
        tc.assertEqual(steps, [{k: s[k] for k in ("level", "entry_gpa", "entry")}
                               for s in jt.get("steps", [])], h(g))
        if jt["gpa"] is None:
            tc.assertIsNone(t.gpa, h(g))
            tc.assertIsNone(v.translate(g) if t.status != hvs.HVS_E_NODATA else None)
            if "unmapped_size" in jt:
                tc.assertEqual(h(t.unmapped_size), jt["unmapped_size"])
                tc.assertEqual(h(v.translate_ex(g)[2]), jt["unmapped_size"])
            if "level" in jt and t.fault:
                tc.assertEqual(t.fault.level, jt["level"])
        else:
            tc.assertEqual(h(t.gpa), jt["gpa"], h(g))
            tc.assertEqual(t.page_size, jt["page_size"])
            tc.assertEqual(h(v.translate(g)), jt["gpa"])
            tc.assertEqual(v.translate_ex(g)[1], jt["page_size"])


def compare_maps(tc: unittest.TestCase, img: hvs.Image, path: str, cli_opts: List[str],
                 vp: int, merge: bool = False) -> int:
    j = cli("maps", "--json", "--vp", str(vp), *(["--merge"] if merge else []), *cli_opts, path)
    got = [{"gva": h(r.gva), "size": h(r.size), "gpa": h(r.gpa),
            "writable": bool(r.flags & 0x2), "user": bool(r.flags & 0x4),
            "executable": not r.flags & 0x8, "large": bool(r.flags & 0x100)}
           for r in img.vp(vp).regions(merge=merge)]
    want = [{k: r[k] for k in ("gva", "size", "gpa", "writable", "user", "executable", "large")}
            for r in j["regions"]]
    tc.assertEqual(got, want)
    return len(got)


def compare_keys(tc: unittest.TestCase, store: hvs.Store, path: str) -> int:
    j = cli("keys", "--json", path)
    count = 0

    def walk(k: hvs.Key, jk: Any) -> None:
        nonlocal count
        count += 1
        tc.assertEqual(k.name, jk["name"])
        tc.assertEqual(k.type, jk["type"])
        if k.type == "array":
            tc.assertEqual(k.size, jk["size"])
            tc.assertEqual(k.value[:len(jk["hex"]) // 2].hex(), jk["hex"])
        elif k.type in ("int", "uint", "bool", "string"):
            tc.assertEqual(k.value, jk["value"], k.path)
        elif k.type == "double":
            tc.assertAlmostEqual(k.value, jk["value"])
        kids = k.children
        tc.assertEqual(len(kids), len(jk.get("children", [])), k.path)
        for c, jc in zip(kids, jk.get("children", [])):
            walk(c, jc)

    walk(store.root, j)
    return count
