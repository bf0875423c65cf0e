#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check docs/hvs.1 against the CLI (ctest: manpage_commands).

Usage: check_manpage.py HVS_BINARY COMMANDS_DEF MANPAGE

Every command listed in cli/commands.def must have a ".SS <name>"
section in the man page, and every long option that `hvs <name> --help`
prints must appear in that section (roff "\\-" is read as "-").  The
failure message names each missing section and option, so a new command
or option cannot land undocumented.
"""
import os
import re
import subprocess
import sys


def sections(man):
    """Map each .SS name to its text (until the next .SS or .SH)."""
    out, name, buf = {}, None, []
    for line in man.splitlines():
        if line.startswith(".SS ") or line.startswith(".SH "):
            if name:
                out[name] = "\n".join(buf)
            name = line[4:].strip().replace("\\-", "-") if line.startswith(".SS ") else None
            buf = []
        elif name:
            buf.append(line)
    if name:
        out[name] = "\n".join(buf)
    return out


def main():
    hvs, cmds_def, man_path = sys.argv[1:4]
    # Cross builds: the emulator that runs hvs (wine), from tests/CMakeLists.txt.
    emu = [a for a in os.environ.get("HVS_TEST_EMULATOR", "").split(";") if a]
    cmds = re.findall(r'^HVS_CMD\("([^"]+)"', open(cmds_def).read(), re.M)
    man = open(man_path).read()
    secs = sections(man)
    problems = []
    for c in cmds:
        if c not in secs:
            problems.append("%s: command '%s' (cli/commands.def) has no section: add "
                            "'.SS %s' under .SH COMMANDS" % (man_path, c, c.replace("-", "\\-")))
            continue
        text = secs[c].replace("\\-", "-")
        r = subprocess.run(emu + [hvs, c, "--help"], capture_output=True, text=True)
        if r.returncode != 0:
            problems.append("hvs %s --help exited %d" % (c, r.returncode))
            continue
        opts = sorted(set(re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", r.stdout)))
        for o in opts:
            if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", text):
                problems.append("%s: section '%s' lacks option %s (printed by `hvs %s "
                                "--help`)" % (man_path, c, o, c))
    for p in problems:
        print(p)
    if problems:
        print("%d problem(s): document them in %s" % (len(problems), man_path))
        return 1
    print("%d commands, every --help option documented" % len(cmds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
