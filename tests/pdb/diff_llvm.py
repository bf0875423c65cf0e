#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the PDB reader against llvm-pdbutil.

    diff_llvm.py PDBDUMP FIXTURE_DIR

For every PDB in FIXTURE_DIR, runs `llvm-pdbutil dump --summary --modules
--section-headers --globals --publics --symbols --types` and our pdbdump
(tests/pdb/pdbdump.c, the public API), parses both and requires that they
agree on: GUID, age, signature, block size, stream count; every module (name,
object, symbol stream); every section header; every global record (kind,
name, type, segment:offset; S_PROCREF module and offset; S_UDT type); every
public (name, flags, segment:offset); every module symbol of the kinds the
reader decodes; every type record: UDTs (name, size, field list, forward
reference and its target), enums (name, underlying type, enumerators),
field-list members (name, type, offset), bitfields, pointers, arrays,
modifiers, procedures, argument lists; and the name of every type that
llvm-pdbutil names in parentheses.  Python 3 standard library only.
Exit 0 pass, 1 fail, 77 skip (llvm-pdbutil or the fixtures missing).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
from collections import Counter

failures = []


def fail(pdb, msg):
    failures.append(f"{os.path.basename(pdb)}: {msg}")


# Cross builds: the emulator (wine) that runs our pdbdump, from
# tests/CMakeLists.txt; the LLVM tools run natively.
EMU = [a for a in os.environ.get("HVS_TEST_EMULATOR", "").split(";") if a]
OURS = []


def run(cmd):
    if cmd[:1] == OURS:
        cmd = EMU + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
    return r.stdout


# ---------------------------------------------------------------- llvm side

SECTION_RE = re.compile(r"^\s*=+\s*$")


def split_sections(text):
    """Map section title ('Types (TPI Stream)', ...) -> list of lines."""
    lines = text.splitlines()
    out = {}
    title = None
    for i, ln in enumerate(lines):
        if SECTION_RE.match(ln) and i > 0 and lines[i - 1].strip():
            title = lines[i - 1].strip()
            out[title] = []
            continue
        if title is not None:
            out[title].append(ln)
    # drop the title line that precedes the next '====' from each section
    for t in out:
        if out[t] and out[t][-1].strip() in out:
            out[t].pop()
    return out


REC_RE = re.compile(r"^\s*(\d+) \| (S_\w+) \[size = \d+\](?: `(.*)`)?\s*$")
ADDR_RE = re.compile(r"addr = (\d{4}):(\d+)")
TYPE_RE = re.compile(r"type = `?(0x[0-9A-F]+)(?: \((.*?)\))?`?(?:,|$)")
NAMED_TI_RE = re.compile(r"(0x[0-9A-F]{4,8}) \((.+?)\)(?=[,`:]|$)")

PUB_FLAGS = {"code": 1, "function": 2, "managed": 4, "msil": 8}
SYM_KINDS = {"S_GDATA32": "GDATA", "S_LDATA32": "LDATA", "S_GPROC32": "GPROC",
             "S_LPROC32": "LPROC", "S_GPROC32_ID": "GPROC",
             "S_LPROC32_ID": "LPROC", "S_CONSTANT": "CONSTANT", "S_UDT": "UDT",
             "S_GTHREAD32": "GTHREAD", "S_LTHREAD32": "LTHREAD",
             "S_PUB32": "PUBLIC", "S_PROCREF": "GPROC", "S_LPROCREF": "LPROC"}


def parse_records(lines):
    """Symbol records: list of (offset, kind, name, [detail lines])."""
    recs = []
    for ln in lines:
        m = REC_RE.match(ln)
        if m:
            recs.append([int(m.group(1)), m.group(2), m.group(3) or "", []])
        elif recs:
            recs[-1][3].append(ln.strip())
    return recs


def llvm_named_types(text, names):
    for m in NAMED_TI_RE.finditer(text):
        ti = int(m.group(1), 16)
        names.setdefault(ti, set()).add(m.group(2))


def parse_llvm_types(lines):
    """Type records: dict ti -> (leaf, name, [detail lines])."""
    types = {}
    cur = None
    rec = re.compile(r"^\s*(0x[0-9A-F]+) \| (LF_\w+) \[size = \d+\](?: `(.*)`)?\s*$")
    for ln in lines:
        m = rec.match(ln)
        if m:
            cur = int(m.group(1), 16)
            types[cur] = (m.group(2), m.group(3), [])
        elif cur is not None and ln.strip():
            types[cur][2].append(ln.strip())
    return types


def hexti(s):
    return 0 if s == "<no type>" else int(s, 16)


# ---------------------------------------------------------------- our side

def parse_ours(text):
    d = {"module": [], "section": [], "global": [], "public": [], "modsym": [],
         "type": {}, "field": {}, "enumerator": {}, "arg": {}, "resolve": {},
         "cname": {}, "wname": {}, "info": {}}
    for ln in text.splitlines():
        word, _, rest = ln.partition(" ")
        if word in ("cname", "wname"):
            ti, _, name = rest.partition(" ")
            d[word][int(ti, 16)] = name
            continue
        if word == "resolve":
            a, b = rest.split()
            d["resolve"][int(a, 16)] = int(b, 16)
            continue
        if word == "arg":
            ti, i, a = rest.split()
            d["arg"].setdefault(int(ti, 16), []).append(int(a, 16))
            continue
        kv = {}
        head = []
        for tok in rest.split(" "):
            if tok in ("static", "base") and kv:
                kv[tok] = True
            elif "=" in tok:
                k, _, v = tok.partition("=")
                kv[k] = v
            elif kv:  # a value with spaces (names do not have them here)
                kv[list(kv)[-1]] += " " + tok
            else:
                head.append(tok)
        if word == "info":
            d["info"] = kv
        elif word in ("module", "section"):
            d[word].append(kv)
        elif word in ("global", "public", "modsym"):
            d[word].append(kv)
        elif word == "type":
            d["type"][int(head[0], 16)] = kv
        elif word in ("field", "enumerator"):
            d[word].setdefault(int(head[0], 16), []).append(kv)
    return d


# ---------------------------------------------------------------- compare

def check_pdb(pdbdump, pdb):
    llvm = run(["llvm-pdbutil", "dump", "--summary", "--modules",
                "--section-headers", "--globals", "--publics", "--symbols",
                "--types", pdb])
    ours = parse_ours(run([pdbdump, pdb]))
    # The positional-read path must report exactly the same.
    if run([pdbdump, "--no-mmap", pdb]) != run([pdbdump, pdb]):
        fail(pdb, "pdbdump --no-mmap differs from the memory-mapped run")
    sec = split_sections(llvm)
    checks = Counter()

    # Summary.
    summ = "\n".join(sec.get("Summary", []))
    info = ours["info"]
    m = re.search(r"GUID: \{([0-9A-F-]+)\}", summ)
    g = bytes.fromhex(info["guid"])
    guid = "%08X-%04X-%04X-%s-%s" % (int.from_bytes(g[0:4], "little"),
                                     int.from_bytes(g[4:6], "little"),
                                     int.from_bytes(g[6:8], "little"),
                                     g[8:10].hex().upper(), g[10:16].hex().upper())
    if not m or m.group(1) != guid:
        fail(pdb, f"GUID {guid} != llvm {m and m.group(1)}")
    for key, ours_key in (("Age", "age"), ("Signature", "signature"),
                          ("Block Size", "blocksize"),
                          ("Number of streams", "streams"),
                          ("Number of blocks", "blocks")):
        mm = re.search(rf"{key}: (\d+)", summ)
        if not mm or mm.group(1) != info[ours_key]:
            fail(pdb, f"{key}: ours {info[ours_key]} llvm {mm and mm.group(1)}")
        checks["summary"] += 1

    # Modules.
    mods = re.findall(r"Mod (\d{4}) \| `(.*)`:\s*\n\s*Obj: `(.*)`:\s*\n\s*debug stream: (\d+)",
                      "\n".join(sec.get("Modules", [])))
    if len(mods) != len(ours["module"]):
        fail(pdb, f"{len(ours['module'])} modules, llvm {len(mods)}")
    for (i, name, obj, stream), o in zip(mods, ours["module"]):
        if (name, obj, stream) != (o["name"], o["obj"], o["stream"]):
            fail(pdb, f"module {i}: ours {o} llvm {(name, obj, stream)}")
        checks["modules"] += 1

    # Section headers.
    sh = "\n".join(sec.get("Section Headers", []))
    heads = re.findall(r"SECTION HEADER #(\d+)\s*\n\s*(\S*) name\s*\n\s*([0-9A-F]+) virtual size"
                       r"\s*\n\s*([0-9A-F]+) virtual address\s*\n\s*([0-9A-F]+) size of raw data"
                       r"\s*\n\s*([0-9A-F]+) file pointer to raw data(?:.*\n){5}\s*([0-9A-F]+) flags", sh)
    if len(heads) != len(ours["section"]):
        fail(pdb, f"{len(ours['section'])} sections, llvm {len(heads)}")
    for h, o in zip(heads, ours["section"]):
        want = (h[1], int(h[2], 16), int(h[3], 16), int(h[4], 16), int(h[5], 16), int(h[6], 16))
        got = (o["name"], int(o["vsize"], 16), int(o["va"], 16), int(o["rawsize"], 16),
               int(o["rawptr"], 16), int(o["chars"], 16))
        if want != got:
            fail(pdb, f"section {h[0]}: ours {got} llvm {want}")
        checks["sections"] += 1

    # Globals: (kind, name, type, seg, off) or for references (kind, name, module, offset).
    want = Counter()
    for off, kind, name, det in parse_records(sec.get("Global Symbols", [])):
        text = " ".join(det)
        k = SYM_KINDS.get(kind)
        if k is None:
            continue
        if kind in ("S_PROCREF", "S_LPROCREF"):
            mm = re.search(r"module = (\d+), sum name = \d+, offset = (\d+)", text)
            want[(k, name, "mod", int(mm.group(1)) - 1, int(mm.group(2)))] += 1
        elif kind == "S_UDT":
            mm = re.search(r"original type = (0x[0-9A-F]+)", text)
            want[(k, name, int(mm.group(1), 16))] += 1
        elif kind == "S_CONSTANT":
            mm = re.search(r"type = (0x[0-9A-F]+).*value = (-?\d+)", text)
            want[(k, name, int(mm.group(1), 16), int(mm.group(2)))] += 1
        else:
            mt, ma = TYPE_RE.search(text), ADDR_RE.search(text)
            want[(k, name, int(mt.group(1), 16), int(ma.group(1)), int(ma.group(2)))] += 1
    got = Counter()
    for s in ours["global"]:
        k = s["kind"]
        if k in ("GPROC", "LPROC"):
            got[(k, s["name"], "mod", int(s["module"]), int(s["rec"]))] += 1
        elif k == "UDT":
            got[(k, s["name"], int(s["type"], 16))] += 1
        elif k == "CONSTANT":
            got[(k, s["name"], int(s["type"], 16), int(s["value"]))] += 1
        elif k != "OTHER":
            got[(k, s["name"], int(s["type"], 16), int(s["seg"]), int(s["off"], 16))] += 1
    if want != got:
        fail(pdb, f"globals differ: only llvm {sorted((want - got).elements())[:8]}, "
                  f"only ours {sorted((got - want).elements())[:8]}")
    checks["globals"] += sum(want.values())

    # Publics.
    want = Counter()
    for off, kind, name, det in parse_records(sec.get("Public Symbols", [])):
        text = " ".join(det)
        mf = re.search(r"flags = ([a-z |]+), addr", text)
        flags = 0
        for f in mf.group(1).split("|"):
            flags |= PUB_FLAGS.get(f.strip(), 0)
        ma = ADDR_RE.search(text)
        want[(name, flags, int(ma.group(1)), int(ma.group(2)))] += 1
    got = Counter((s["name"], int(s["flags"]), int(s["seg"]), int(s["off"], 16))
                  for s in ours["public"])
    if want != got:
        fail(pdb, f"publics differ: only llvm {sorted((want - got).elements())[:8]}, "
                  f"only ours {sorted((got - want).elements())[:8]}")
    checks["publics"] += sum(want.values())

    # Module symbols of the kinds we decode.
    want = Counter()
    mod = -1
    for ln in sec.get("Symbols", []):
        mm = re.match(r"^\s*Mod (\d{4}) \|", ln)
        if mm:
            mod = int(mm.group(1))
    cur_mod = -1
    recs = []
    for ln in sec.get("Symbols", []):
        mm = re.match(r"^\s*Mod (\d{4}) \|", ln)
        if mm:
            cur_mod = int(mm.group(1))
            continue
        m2 = REC_RE.match(ln)
        if m2:
            recs.append([cur_mod, int(m2.group(1)), m2.group(2), m2.group(3) or "", []])
        elif recs:
            recs[-1][4].append(ln.strip())
    for mod, off, kind, name, det in recs:
        k = SYM_KINDS.get(kind)
        if k is None or k == "PUBLIC" or kind in ("S_PROCREF", "S_LPROCREF"):
            continue
        text = " ".join(det)
        if k == "UDT":
            mt = re.search(r"original type = (0x[0-9A-F]+)", text)
            want[(mod, off, k, name, int(mt.group(1), 16))] += 1
            continue
        mt, ma = TYPE_RE.search(text), ADDR_RE.search(text)
        key = (mod, off, k, name, int(mt.group(1), 16), int(ma.group(1)), int(ma.group(2)))
        if k in ("GPROC", "LPROC"):
            mc = re.search(r"code size = (\d+)", text)
            key += (int(mc.group(1)),)
        want[key] += 1
    got = Counter()
    for s in ours["modsym"]:
        k = s["kind"]
        if k == "UDT":
            got[(int(s["module"]), int(s["rec"]), k, s["name"], int(s["type"], 16))] += 1
            continue
        if k == "CONSTANT":
            continue
        key = (int(s["module"]), int(s["rec"]), k, s["name"], int(s["type"], 16),
               int(s["seg"]), int(s["off"], 16))
        if k in ("GPROC", "LPROC"):
            key += (int(s["size"]),)
        got[key] += 1
    if want != got:
        fail(pdb, f"module symbols differ: only llvm {sorted((want - got).elements())[:6]}, "
                  f"only ours {sorted((got - want).elements())[:6]}")
    checks["module symbols"] += sum(want.values())

    # Types.
    ltypes = parse_llvm_types(sec.get("Types (TPI Stream)", []))
    ot = ours["type"]
    if set(ltypes) != set(ot):
        fail(pdb, f"type index sets differ: {len(ltypes)} llvm, {len(ot)} ours")
    for ti, (leaf, name, det) in sorted(ltypes.items()):
        o = ot.get(ti)
        if o is None:
            continue
        text = " ".join(det)
        if int(o["leaf"], 16) != LEAF_NUM.get(leaf, int(o["leaf"], 16)):
            fail(pdb, f"type 0x{ti:x}: leaf {o['leaf']} llvm {leaf}")
            continue
        checks["types"] += 1
        if leaf in ("LF_STRUCTURE", "LF_CLASS", "LF_UNION", "LF_INTERFACE", "LF_ENUM"):
            if o.get("name") != name:
                fail(pdb, f"type 0x{ti:x}: name {o.get('name')} llvm {name}")
            fl = re.search(r"field list: (0x[0-9A-F]+|<no type>)", text)
            if fl and hexti(fl.group(1)) != int(o["index"], 16):
                fail(pdb, f"type 0x{ti:x}: field list {o['index']} llvm {fl.group(1)}")
            fwd = re.search(r"forward ref \(-> (0x[0-9A-F]+)\)", text)
            is_fwd = "forward ref" in text
            if is_fwd != bool(int(o["props"], 16) & 0x80):
                fail(pdb, f"type 0x{ti:x}: forward-ref flag differs")
            if fwd and ours["resolve"].get(ti) != int(fwd.group(1), 16):
                fail(pdb, f"type 0x{ti:x}: resolves to {ours['resolve'].get(ti)} llvm {fwd.group(1)}")
            if fwd:
                checks["forward refs"] += 1
            if leaf == "LF_ENUM":
                ut = re.search(r"underlying type: (0x[0-9A-F]+)", text)
                if int(ut.group(1), 16) != int(o["element"], 16):
                    fail(pdb, f"enum 0x{ti:x}: underlying {o['element']} llvm {ut.group(1)}")
                if not is_fwd:
                    lst = ltypes[hexti(fl.group(1))][2]
                    want_e = [re.match(r"- LF_ENUMERATE \[(.*) = (-?\d+)\]", x).groups()
                              for x in lst if x.startswith("- LF_ENUMERATE")]
                    got_e = [(e["name"], e["value"]) for e in ours["enumerator"].get(ti, [])]
                    if want_e != got_e:
                        fail(pdb, f"enum 0x{ti:x}: enumerators {got_e} llvm {want_e}")
                    checks["enumerators"] += len(want_e)
            else:
                sz = re.search(r"sizeof (\d+)", text)
                # A forward reference reports its definition's size.
                want_sz = int(sz.group(1))
                if is_fwd and fwd:
                    want_sz = int(re.search(r"sizeof (\d+)",
                                            " ".join(ltypes[int(fwd.group(1), 16)][2])).group(1))
                if want_sz != int(o["size"]):
                    fail(pdb, f"type 0x{ti:x}: size {o['size']} llvm {want_sz}")
                if not is_fwd and fl and fl.group(1) != "<no type>":
                    lst = ltypes[hexti(fl.group(1))][2]
                    want_m = []
                    for x in lst:
                        mm = re.match(r"- LF_MEMBER \[name = `(.*)`, Type = (0x[0-9A-F]+).*?, offset = (\d+)", x)
                        if mm:
                            want_m.append((mm.group(1), int(mm.group(2), 16), int(mm.group(3))))
                        mm = re.match(r"- LF_STMEMBER \[name = `(.*)`, type = (0x[0-9A-F]+)", x)
                        if mm:
                            want_m.append((mm.group(1), int(mm.group(2), 16), 0))
                    got_m = [(f["name"], int(f["type"], 16), int(f["offset"]))
                             for f in ours["field"].get(ti, []) if f.get("base") is None]
                    if want_m != got_m:
                        fail(pdb, f"type 0x{ti:x} ({name}): members {got_m[:4]}... llvm {want_m[:4]}...")
                    checks["members"] += len(want_m)
        elif leaf == "LF_POINTER":
            mm = re.search(r"referent = (0x[0-9A-F]+).*mode = ([\w ]+), opts = ([\w |]+), kind = ptr(\d+)", text)
            # A pointer to member has its own size (the record's size
            # bits: 4 for a data member offset, 8 or 16 for a method),
            # whatever the pointer kind says.
            member = "member" in mm.group(2)
            if (int(mm.group(1), 16) != int(o["element"], 16) or
                    (not member and int(mm.group(4)) // 8 != int(o["size"]))):
                fail(pdb, f"pointer 0x{ti:x}: {o} llvm {mm.groups()}")
            mode = {"pointer": 0, "ref": 1, "data member pointer": 2,
                    "member fn pointer": 3, "rvalue ref": 4}.get(mm.group(2))
            if mode is not None and mode != int(o["mode"]):
                fail(pdb, f"pointer 0x{ti:x}: mode {o['mode']} llvm {mm.group(2)}")
            mods = (1 if "const" in mm.group(3) else 0) | (2 if "volatile" in mm.group(3) else 0) \
                | (4 if "unaligned" in mm.group(3) else 0)
            if mods != int(o["mods"]):
                fail(pdb, f"pointer 0x{ti:x}: modifiers {o['mods']} llvm {mm.group(3)}")
        elif leaf == "LF_ARRAY":
            mm = re.search(r"size: (\d+), index type: (0x[0-9A-F]+).*element type: (0x[0-9A-F]+)", text)
            if (int(mm.group(1)), int(mm.group(2), 16), int(mm.group(3), 16)) != \
                    (int(o["size"]), int(o["index"], 16), int(o["element"], 16)):
                fail(pdb, f"array 0x{ti:x}: {o} llvm {mm.groups()}")
        elif leaf == "LF_MODIFIER":
            mm = re.search(r"referent = (0x[0-9A-F]+).*modifiers = ([\w |]*)", text)
            mods = (1 if "const" in mm.group(2) else 0) | (2 if "volatile" in mm.group(2) else 0) \
                | (4 if "unaligned" in mm.group(2) else 0)
            if (int(mm.group(1), 16), mods) != (int(o["element"], 16), int(o["mods"])):
                fail(pdb, f"modifier 0x{ti:x}: {o} llvm {mm.groups()}")
        elif leaf == "LF_BITFIELD":
            mm = re.search(r"type = (0x[0-9A-F]+).*bit offset = (\d+), # bits = (\d+)", text)
            if (int(mm.group(1), 16), mm.group(2) + ":" + mm.group(3)) != \
                    (int(o["element"], 16), o["bits"]):
                fail(pdb, f"bitfield 0x{ti:x}: {o} llvm {mm.groups()}")
        elif leaf == "LF_PROCEDURE":
            mm = re.search(r"return type = (0x[0-9A-F]+).*# args = (\d+), param list = (0x[0-9A-F]+)", text)
            if (int(mm.group(1), 16), int(mm.group(2)), int(mm.group(3), 16)) != \
                    (int(o["element"], 16), int(o["count"]), int(o["index"], 16)):
                fail(pdb, f"procedure 0x{ti:x}: {o} llvm {mm.groups()}")
        elif leaf == "LF_ARGLIST":
            args = [int(re.match(r"(0x[0-9A-F]+)", x).group(1), 16)
                    for x in det if re.match(r"0x[0-9A-F]+[ :]", x)]
            if args != ours["arg"].get(ti, []):
                fail(pdb, f"arglist 0x{ti:x}: {ours['arg'].get(ti)} llvm {args}")

    # Type names llvm-pdbutil prints in parentheses, for complex types too.
    names = {}
    llvm_named_types(llvm, names)
    for ti, ns in sorted(names.items()):
        if ti < 0x1000:
            continue  # simple names: checked through arglists and members
        ours_name = ours["cname"].get(ti)
        for n in ns:
            if n and ours_name != n:
                fail(pdb, f"type 0x{ti:x}: C name {ours_name!r} llvm {n!r}")
            checks["type names"] += 1
    return checks


LEAF_NUM = {"LF_MODIFIER": 0x1001, "LF_POINTER": 0x1002, "LF_PROCEDURE": 0x1008,
            "LF_MFUNCTION": 0x1009, "LF_ARGLIST": 0x1201, "LF_FIELDLIST": 0x1203,
            "LF_BITFIELD": 0x1205, "LF_ARRAY": 0x1503, "LF_CLASS": 0x1504,
            "LF_STRUCTURE": 0x1505, "LF_UNION": 0x1506, "LF_ENUM": 0x1507,
            "LF_INTERFACE": 0x1519}


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    pdbdump, fixdir = sys.argv[1], sys.argv[2]
    OURS[:] = [pdbdump]
    if not shutil.which("llvm-pdbutil"):
        print("skipped: llvm-pdbutil not found")
        return 77
    pdbs = sorted(glob.glob(os.path.join(fixdir, "*.pdb")))
    if not pdbs:
        print(f"skipped: no fixture PDBs in {fixdir}")
        return 77
    for pdb in pdbs:
        checks = check_pdb(pdbdump, pdb)
        print(f"{os.path.basename(pdb)}: " +
              ", ".join(f"{v} {k}" for k, v in sorted(checks.items())))
    # Repacks llvm-pdbutil cannot read (tests/pdb/repack.py): a "big MSF"
    # whose directory's block list spans several blocks (llvm-pdbutil
    # reads one block-map block) and 8 KiB blocks (it reads up to 4 KiB).
    # They must read exactly as the PDB they were repacked from.
    for msf in sorted(glob.glob(os.path.join(fixdir, "*.msf"))):
        base = os.path.basename(msf)[:-4]
        orig = os.path.join(fixdir, base.rsplit("-", 1)[0] + ".pdb")
        with open(msf, "rb") as f:
            head = f.read(56)
        bs, dir_bytes = int.from_bytes(head[32:36], "little"), \
            int.from_bytes(head[44:48], "little")
        nmap = (((dir_bytes + bs - 1) // bs) * 4 + bs - 1) // bs
        if base.endswith("-bigdir") and nmap < 2:
            fail(msf, f"only {nmap} block-map block(s): not a multi-block map")
        a = run([pdbdump, msf]).split("\n", 1)
        b = run([pdbdump, orig]).split("\n", 1)
        if base.endswith("-struct2"):
            # Same records but the leaf codes (LF_STRUCTURE2 for
            # LF_STRUCTURE, LF_CLASS2 for LF_CLASS).
            n2 = a[1].count("leaf=0x1609") + a[1].count("leaf=0x1608")
            a[1] = a[1].replace("leaf=0x1609", "leaf=0x1505").replace("leaf=0x1608", "leaf=0x1504")
            if n2 == 0:
                fail(msf, "no LF_STRUCTURE2 records")
        if a[1] != b[1]:
            fail(msf, "reads differently from " + os.path.basename(orig))
        print(f"{os.path.basename(msf)}: {bs}-byte blocks, {nmap} block-map "
              f"block(s), same records as {os.path.basename(orig)}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
