#!/usr/bin/env python3
"""Strip an ELF64 executable down to what the kernel loads: drop the section
header table and everything after the last loaded segment (.comment,
.shstrtab), as ELFkickers' sstrip does. The kernel reads only the program
headers; `strip` leaves the section headers, about 600 bytes of a 34 KB
ns-tool.

    python3 tools/sstrip.py BINARY...
"""
import struct
import sys


def sstrip(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"sstrip: {path}: not a little-endian ELF64 file")
        e_phoff, e_shoff = struct.unpack_from("<QQ", data, 0x20)
        e_phentsize, e_phnum = struct.unpack_from("<HH", data, 0x36)
        end = e_phoff + e_phentsize * e_phnum
        for i in range(e_phnum):
            p_offset, = struct.unpack_from("<Q", data, e_phoff + i * e_phentsize + 0x08)
            p_filesz, = struct.unpack_from("<Q", data, e_phoff + i * e_phentsize + 0x20)
            end = max(end, p_offset + p_filesz)
        # No section headers: offset, count and string-table index all 0.
        struct.pack_into("<Q", data, 0x28, 0)
        struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)
        f.seek(0)
        f.write(data[:end])
        f.truncate(end)
    return end


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"sstrip: {p}: {sstrip(p)} bytes")
