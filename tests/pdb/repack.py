#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rewrite an MSF 7.0 file (a PDB) with another block size.

    repack.py IN OUT BLOCK_SIZE [EXTRA_STREAMS] [--struct2] [--omap]

Copies every stream of IN into OUT laid out with BLOCK_SIZE-byte blocks
(512 ... 65536), keeping the free-block-map positions (blocks 1 and 2 of
every BLOCK_SIZE-block interval) free of data.  EXTRA_STREAMS empty streams
are appended to the directory: enough of them make the directory's own
block list span several blocks, the "big MSF" layout in which the
superblock lists several block-map blocks from offset 52.

--struct2 rewrites every LF_STRUCTURE / LF_CLASS record of the TPI into
the newer LF_STRUCTURE2 / LF_CLASS2 form (32-bit properties, then field
list, derived, vshape, and the member count and size as numeric leaves),
which lld-link never writes; the record bytes in the TPI header are
updated (the TPI hash stream, which the reader does not use, goes stale).

--omap adds what a post-link-optimised image's PDB has: "original"
section headers (here the real ones moved up by 1 MiB) and an OMAP-from-
source table mapping each moved section back to its real address, in two
new streams named by the DBI's optional debug header (slots 10 and 4).
Symbols then translate through OMAP to the same RVAs as before.

The tests use it to make small fuzz seeds (512-byte blocks) and to exercise
block sizes and multi-block block maps that lld-link does not write; the
repacked file must read exactly as the original (tests/pdb/diff_llvm.py).
Python 3 standard library only.
"""
import struct
import sys

MAGIC = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00"


def read_msf(data):
    if data[:32] != MAGIC:
        raise SystemExit("not an MSF 7.0 file")
    bs, _fpm, _nblocks, dir_bytes, _unk = struct.unpack_from("<5I", data, 32)
    ndir = (dir_bytes + bs - 1) // bs
    nmap = (ndir * 4 + bs - 1) // bs
    maps = struct.unpack_from(f"<{nmap}I", data, 52)
    blist = b"".join(data[m * bs:(m + 1) * bs] for m in maps)
    dirblocks = struct.unpack_from(f"<{ndir}I", blist, 0)
    d = b"".join(data[b * bs:(b + 1) * bs] for b in dirblocks)[:dir_bytes]
    n = struct.unpack_from("<I", d, 0)[0]
    sizes = struct.unpack_from(f"<{n}I", d, 4)
    pos = 4 + 4 * n
    streams = []
    for sz in sizes:
        real = 0 if sz == 0xFFFFFFFF else sz
        nb = (real + bs - 1) // bs
        blocks = struct.unpack_from(f"<{nb}I", d, pos)
        pos += 4 * nb
        body = b"".join(data[b * bs:(b + 1) * bs] for b in blocks)[:real]
        streams.append((sz, body))
    return streams


def numeric(v):
    """A CodeView numeric leaf for an unsigned value."""
    if v < 0x8000:
        return struct.pack("<H", v)
    if v < 0x10000:
        return struct.pack("<HH", 0x8002, v)
    return struct.pack("<HI", 0x8004, v)


def struct2(tpi):
    """TPI stream bytes with LF_STRUCTURE/LF_CLASS as LF_STRUCTURE2/CLASS2."""
    hdr_size, = struct.unpack_from("<I", tpi, 4)
    rec_bytes, = struct.unpack_from("<I", tpi, 16)
    out = bytearray()
    off, end = hdr_size, hdr_size + rec_bytes
    while off < end:
        ln, leaf = struct.unpack_from("<HH", tpi, off)
        body = tpi[off + 4:off + 2 + ln]
        if leaf in (0x1504, 0x1505):
            count, props = struct.unpack_from("<HH", body, 0)
            body = struct.pack("<I", props) + body[4:16] + numeric(count) + body[16:]
            leaf = 0x1608 if leaf == 0x1504 else 0x1609
        out += struct.pack("<HH", len(body) + 2, leaf) + body
        off += 2 + ln
    hdr = bytearray(tpi[:hdr_size])
    struct.pack_into("<I", hdr, 16, len(out))
    return bytes(hdr) + bytes(out) + tpi[end:]


OMAP_SHIFT = 0x100000


def add_omap(streams):
    """Add original section headers and an OMAP-from-source stream."""
    dbi = bytearray(streams[3][1])
    sizes = struct.unpack_from("<6i", dbi, 24)  # modinfo .. tsmap, mfc
    ec, = struct.unpack_from("<i", dbi, 52)
    dbg_size, = struct.unpack_from("<i", dbi, 48)
    dbg = 64 + sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4] + ec
    if dbg_size < 22:
        raise SystemExit("optional debug header has fewer than 11 slots")
    sec_stream, = struct.unpack_from("<H", dbi, dbg + 2 * 5)
    hdrs = bytearray(streams[sec_stream][1])
    omap = []
    for off in range(0, len(hdrs), 40):
        va, = struct.unpack_from("<I", hdrs, off + 12)
        struct.pack_into("<I", hdrs, off + 12, va + OMAP_SHIFT)
        omap.append((va + OMAP_SHIFT, va))
    omap.sort()
    table = b"".join(struct.pack("<II", a, b) for a, b in omap)
    n = len(streams)
    streams.append((len(hdrs), bytes(hdrs)))
    streams.append((len(table), table))
    struct.pack_into("<H", dbi, dbg + 2 * 10, n)
    struct.pack_into("<H", dbi, dbg + 2 * 4, n + 1)
    streams[3] = (len(dbi), bytes(dbi))


def write_msf(streams, bs):
    blocks = {}
    nxt = [3]

    def alloc():
        # Blocks 1 and 2 of every interval of bs blocks hold the FPM.
        while nxt[0] % bs in (1, 2):
            nxt[0] += 1
        b = nxt[0]
        nxt[0] += 1
        return b

    def put(data):
        lst = []
        for i in range(0, len(data), bs):
            b = alloc()
            blocks[b] = data[i:i + bs]
            lst.append(b)
        return lst

    lists = [put(body) for _sz, body in streams]
    d = struct.pack("<I", len(streams))
    d += b"".join(struct.pack("<I", sz) for sz, _ in streams)
    for lst in lists:
        d += b"".join(struct.pack("<I", b) for b in lst)
    dirblocks = put(d)
    maps = put(b"".join(struct.pack("<I", b) for b in dirblocks))
    if 52 + 4 * len(maps) > bs:
        raise SystemExit("block map does not fit block 0")
    nblocks = nxt[0]
    sb = MAGIC + struct.pack("<5I", bs, 1, nblocks, len(d), 0)
    sb += b"".join(struct.pack("<I", m) for m in maps)
    blocks[0] = sb
    # Free block map: one bit per block, set when free; everything used.
    for k in range(0, nblocks, bs):
        for j in (1, 2):
            if k + j < nblocks:
                blocks[k + j] = b""
    out = bytearray(nblocks * bs)
    for b, data in blocks.items():
        out[b * bs:b * bs + len(data)] = data
    return bytes(out)


def main():
    args = [a for a in sys.argv[1:] if a not in ("--struct2", "--omap")]
    if len(args) not in (3, 4):
        print(__doc__)
        return 2
    src, dst, bs = args[0], args[1], int(args[2])
    extra = int(args[3]) if len(args) == 4 else 0
    with open(src, "rb") as f:
        streams = read_msf(f.read())
    if "--struct2" in sys.argv[1:]:
        sz, tpi = streams[2]
        tpi = struct2(tpi)
        streams[2] = (len(tpi), tpi)
    if "--omap" in sys.argv[1:]:
        add_omap(streams)
    streams += [(0, b"")] * extra
    with open(dst + ".tmp", "wb") as f:
        f.write(write_msf(streams, bs))
    import os
    os.replace(dst + ".tmp", dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
