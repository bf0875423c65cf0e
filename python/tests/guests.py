# SPDX-License-Identifier: MIT
"""The QEMU guests of ../shared/guests for the Python tests: decompress a
core (stdlib lzma), check its SHA-256 against truth.json, and write it as
a .vmrs with the library's writer (hvsavedstate.image_to_vmrs) with the
registers of registers.json."""
from __future__ import annotations

import hashlib
import json
import lzma
import os
from typing import Any, Dict, Optional, Tuple

import hvsavedstate as hvs
from hvstest import SHARED, tmpdir

GUESTS = ["x86_64-tcg", "x86_64-pti-tcg", "x86_64-la57-tcg", "i386-pae-tcg", "i386-tcg",
          "aarch64-tcg"]


def guest_dir(name: str) -> Optional[str]:
    d = os.path.join(SHARED, "guests", name)
    return d if SHARED and os.path.exists(os.path.join(d, "core.elf.xz")) else None


def truth(name: str) -> Dict[str, Any]:
    with open(os.path.join(guest_dir(name) or "", "truth.json")) as f:
        return json.load(f)


def core(name: str) -> str:
    """Path of the decompressed core.elf (made once, checked by SHA-256)."""
    d = guest_dir(name)
    assert d
    out = os.path.join(tmpdir(), f"{name}.core.elf")
    want = truth(name)["core_elf_sha256"]
    if os.path.exists(out):
        with open(out, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == want:
                return out
    with lzma.open(os.path.join(d, "core.elf.xz")) as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != want:
        raise AssertionError(f"{name}: core.elf SHA-256 differs from truth.json")
    tmp = f"{out}.{os.getpid()}.tmp"  # tests may run in parallel
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    return out


def regs_json(name: str) -> str:
    return os.path.join(guest_dir(name) or "", "registers.json")


def as_vmrs(name: str) -> str:
    """The guest written to a .vmrs by the project's writer (memory of the
    core, registers from registers.json)."""
    out = os.path.join(tmpdir(), f"{name}.vmrs")
    if not os.path.exists(out):
        with hvs.Image(core(name), regs_json=regs_json(name)) as img:
            try:
                hvs.image_to_vmrs(img, out)
            except FileExistsError:
                pass  # written meanwhile by a test running in parallel
    return out
