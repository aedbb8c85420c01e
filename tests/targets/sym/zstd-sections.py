#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Recompress an ELF file's zlib-compressed sections (SHF_COMPRESSED,
ELFCOMPRESS_ZLIB, as from gcc -gz=zlib) with zstd (ELFCOMPRESS_ZSTD), for
toolchains whose compiler and linker cannot emit zstd sections themselves.

    zstd-sections.py IN OUT

ELF64 little-endian only. The new section contents are appended to the
file and the section headers pointed at them; nothing loaded at run time
moves. Needs the zstd command. Exits 1 if no section was converted.
"""
import struct
import subprocess
import sys
import zlib

SHF_COMPRESSED = 0x800
ELFCOMPRESS_ZLIB = 1
ELFCOMPRESS_ZSTD = 2
CHDR = struct.Struct("<IIQQ")  # ch_type, ch_reserved, ch_size, ch_addralign
SHDR = struct.Struct("<IIQQQQIIQQ")


def main(src, dst):
    data = bytearray(open(src, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("%s: not a little-endian ELF64 file" % src)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    converted = 0
    for i in range(shnum):
        at = shoff + i * shentsize
        sh = list(SHDR.unpack_from(data, at))
        flags, offset, size = sh[2], sh[4], sh[5]
        if not flags & SHF_COMPRESSED or size < CHDR.size:
            continue
        ctype, _, csize, calign = CHDR.unpack_from(data, offset)
        if ctype != ELFCOMPRESS_ZLIB:
            continue
        raw = zlib.decompress(bytes(data[offset + CHDR.size:offset + size]))
        if len(raw) != csize:
            sys.exit("section %d: %d bytes, header says %d" % (i, len(raw), csize))
        packed = subprocess.run(["zstd", "-q", "-19", "-c"], input=raw, check=True,
                                stdout=subprocess.PIPE).stdout
        data.extend(b"\0" * (-len(data) % 8))
        sh[4] = len(data)
        data.extend(CHDR.pack(ELFCOMPRESS_ZSTD, 0, csize, calign) + packed)
        sh[5] = len(data) - sh[4]
        SHDR.pack_into(data, at, *sh)
        converted += 1
    if not converted:
        sys.exit("%s: no zlib-compressed section" % src)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: zstd-sections.py IN OUT")
    main(sys.argv[1], sys.argv[2])
