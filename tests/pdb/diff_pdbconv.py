#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Second opinion on the PDB reader's types: volatility3's pdbconv.

    diff_pdbconv.py PDBDUMP FIXTURE_DIR SHARED_DIR

Converts FIXTURE_DIR/flat-x64.pdb with SHARED_DIR/tools/volatility3's
pdbconv (PDB -> ISF JSON) and requires that our pdbdump (the public API)
agrees on every user type's kind and size, every field's offset and type
shape (base type size, pointer, array dimensions, bitfield position and
width, struct/union/enum name), every enum's size and constants, and the
RVA of every symbol pdbconv lists.

Only flat-x64.pdb: pdbconv stops at the LF_NESTTYPE records clang writes
for anonymous members and has no entry for the bool simple type, so the
fixture with those (types-*.pdb) is checked against llvm-pdbutil only
(diff_llvm.py).  Python 3 standard library (pdbconv itself needs
python3-pefile).  Exit 0 pass, 1 fail, 77 skip (no ../shared, no
volatility3, no pefile, no fixture).
"""
import json
import os
import subprocess
import sys
import tempfile

# Simple type kinds (low byte of a type index < 0x1000) -> size in bytes.
SIMPLE_SIZE = {0x03: 0, 0x08: 4, 0x10: 1, 0x20: 1, 0x70: 1, 0x71: 2, 0x68: 1,
               0x69: 1, 0x11: 2, 0x21: 2, 0x72: 2, 0x73: 2, 0x12: 4, 0x22: 4,
               0x74: 4, 0x75: 4, 0x13: 8, 0x23: 8, 0x76: 8, 0x77: 8,
               0x40: 4, 0x41: 8, 0x42: 10, 0x30: 1}


def parse_ours(text):
    types, fields, enums, syms = {}, {}, {}, {}
    for ln in text.splitlines():
        word, _, rest = ln.partition(" ")
        toks = rest.split(" ")
        kv = dict(t.split("=", 1) for t in toks if "=" in t)
        if word == "type":
            types[int(toks[0], 16)] = kv
        elif word == "resolve":
            types.setdefault("resolve", {})[int(toks[0], 16)] = int(toks[1], 16)
        elif word == "field":
            fields.setdefault(int(toks[0], 16), []).append(kv)
        elif word == "enumerator":
            enums.setdefault(int(toks[0], 16), {})[kv["name"]] = int(kv["value"])
        elif word in ("global", "public") and "rva" in kv:
            syms.setdefault(kv["name"], set()).add(int(kv["rva"], 16))
    return types, fields, enums, syms


def shape_ours(types, ti, depth=0):
    if depth > 64:
        return "?"
    if ti < 0x1000:
        if (ti >> 8) & 0xF:
            return "ptr(" + shape_ours(types, ti & 0xFF, depth + 1) + ")"
        return "void" if ti == 3 else "base%d" % SIMPLE_SIZE.get(ti, -1)
    t = types[ti]
    k = t["kind"]
    el = int(t["element"], 16)
    if k == "POINTER":
        return "ptr(" + shape_ours(types, el, depth + 1) + ")"
    if k == "ARRAY":
        return "arr%s(%s)" % (t["count"], shape_ours(types, el, depth + 1))
    if k == "MODIFIER":
        return shape_ours(types, el, depth + 1)
    if k == "BITFIELD":
        pos, ln = t["bits"].split(":")
        return "bits%s:%s(%s)" % (pos, ln, shape_ours(types, el, depth + 1))
    if k == "PROCEDURE":
        return "function"
    if k in ("STRUCT", "CLASS"):
        return "struct:" + t["name"]
    if k == "UNION":
        return "union:" + t["name"]
    if k == "ENUM":
        return "enum:" + t["name"]
    return k


def shape_isf(isf, t):
    k = t["kind"]
    if k == "base":
        if t["name"] == "void":
            return "void"
        return "base%d" % isf["base_types"][t["name"]]["size"]
    if k == "pointer":
        return "ptr(" + shape_isf(isf, t["subtype"]) + ")"
    if k == "array":
        return "arr%d(%s)" % (t["count"], shape_isf(isf, t["subtype"]))
    if k == "bitfield":
        return "bits%d:%d(%s)" % (t["bit_position"], t["bit_length"],
                                  shape_isf(isf, t["type"]))
    if k == "function":
        return "function"
    if k in ("struct", "union", "enum"):
        return k + ":" + t["name"]
    return k


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    pdbdump, fixdir, shared = sys.argv[1:]
    vol = os.path.join(shared, "tools", "volatility3")
    pdb = os.path.join(fixdir, "flat-x64.pdb")
    if not shared or not os.path.isdir(vol):
        print(f"skipped: {vol} not found (../shared is absent)")
        return 77
    if not os.path.exists(pdb):
        print(f"skipped: fixture {pdb} missing")
        return 77
    env = dict(os.environ, PYTHONPATH=vol)
    r = subprocess.run([sys.executable, "-c", "import pefile"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("skipped: volatility3 needs python3-pefile (scripts/setup-debian.sh)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "flat.json")
        r = subprocess.run([sys.executable, "-m",
                            "volatility3.framework.symbols.windows.pdbconv",
                            "-f", pdb, "-o", out], env=env, cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if r.returncode != 0 or not os.path.exists(out):
            print("FAIL: pdbconv failed:", r.stderr[-2000:])
            return 1
        with open(out) as f:
            isf = json.load(f)
    # Cross builds: the emulator that runs pdbdump (wine), from tests/CMakeLists.txt.
    emu = [a for a in os.environ.get("HVS_TEST_EMULATOR", "").split(";") if a]
    r = subprocess.run(emu + [pdbdump, pdb], stdout=subprocess.PIPE,
                       universal_newlines=True, check=True)
    types, fields, enums, syms = parse_ours(r.stdout)
    types.pop("resolve", None)
    # Definitions by name (the first, as pdbconv keeps one per name).
    defs = {}
    for ti, t in sorted(types.items()):
        if t["kind"] in ("STRUCT", "UNION", "CLASS", "ENUM") and \
                not int(t["props"], 16) & 0x80:
            defs.setdefault(t["name"], ti)
    fails, n_types, n_fields, n_consts, n_syms = [], 0, 0, 0, 0
    for name, ut in sorted(isf["user_types"].items()):
        ti = defs.get(name)
        if ti is None:
            fails.append(f"user type {name}: not found by pdbdump")
            continue
        t = types[ti]
        kind = {"STRUCT": "struct", "CLASS": "struct", "UNION": "union"}[t["kind"]]
        if (kind, int(t["size"])) != (ut["kind"], ut["size"]):
            fails.append(f"{name}: ours {kind} size {t['size']}, pdbconv {ut['kind']} {ut['size']}")
        n_types += 1
        ours_f = {f["name"]: f for f in fields.get(ti, [])}
        if set(ours_f) != set(ut["fields"]):
            fails.append(f"{name}: field names differ: {sorted(set(ours_f) ^ set(ut['fields']))}")
        for fname, fv in sorted(ut["fields"].items()):
            f = ours_f.get(fname)
            if f is None:
                continue
            a, b = shape_ours(types, int(f["type"], 16)), shape_isf(isf, fv["type"])
            if int(f["offset"]) != fv["offset"] or a != b:
                fails.append(f"{name}.{fname}: ours +{f['offset']} {a}, pdbconv +{fv['offset']} {b}")
            n_fields += 1
    for name, en in sorted(isf["enums"].items()):
        ti = defs.get(name)
        if ti is None:
            fails.append(f"enum {name}: not found by pdbdump")
            continue
        if int(types[ti]["size"]) != en["size"] or enums.get(ti, {}) != en["constants"]:
            fails.append(f"enum {name}: ours size {types[ti]['size']} {enums.get(ti)}, "
                         f"pdbconv {en['size']} {en['constants']}")
        n_consts += len(en["constants"])
    for name, s in sorted(isf["symbols"].items()):
        if s["address"] not in syms.get(name, set()):
            fails.append(f"symbol {name}: ours RVAs {syms.get(name)}, pdbconv {s['address']:#x}")
        n_syms += 1
    print(f"flat-x64.pdb vs pdbconv: {n_types} user types, {n_fields} fields, "
          f"{n_consts} enum constants, {n_syms} symbols")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
