"""Runs a command under the allow-list of a systemd syscall group, as ``SystemCallFilter=@GROUP``
with ``SystemCallErrorNumber=EPERM`` and ``SystemCallArchitectures=native`` would:

    python syscallfilter.py @system-service /path/to/bolt --driver uring ...
    python syscallfilter.py @system-service --without io_uring_setup /path/to/bolt ...

The group's system calls come from ``systemd-analyze syscall-filter`` (nested groups expanded),
their numbers from the kernel headers' ``asm/unistd_64.h``; every other call fails with EPERM,
and calls of another ABI (x32, i386) are refused. x86-64 only. The filter is inherited by every
thread and process the command starts. ``--without NAME`` leaves one call out (the harness's own check that the filter is in force);
``--list`` prints the allowed names instead.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import resource
import struct
import subprocess
import sys
from pathlib import Path

AUDIT_ARCH_X86_64 = 0xC000003E
X32_BIT = 0x40000000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x00050000, 0x7FFF0000
UNISTD = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


def group_names(group: str, seen: set[str] | None = None) -> set[str]:
    """The system call names of a systemd group, nested groups expanded."""
    seen = set() if seen is None else seen
    seen.add(group)
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, check=True)
    names: set[str] = set()
    for line in out.stdout.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        if item.startswith("@"):
            if item not in seen:
                names |= group_names(item, seen)
        else:
            names.add(item)
    return names


def numbers() -> dict[str, int]:
    found = re.findall(r"#define __NR_(\w+) (\d+)", UNISTD.read_text())
    return {name: int(nr) for name, nr in found}


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)  # struct sock_filter


class _Prog(ctypes.Structure):  # struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(allowed: set[int]) -> None:
    code = [
        _ins(0x20, 4),  # A = seccomp_data.arch
        _ins(0x15, AUDIT_ARCH_X86_64, 1, 0),  # native: skip the next one
        _ins(0x06, SECCOMP_RET_ERRNO | errno.EPERM),
        _ins(0x20, 0),  # A = seccomp_data.nr
        _ins(0x35, X32_BIT, 0, 1),  # A >= x32 bit: refuse (x32 ABI)
        _ins(0x06, SECCOMP_RET_ERRNO | errno.EPERM),
    ]
    for nr in sorted(allowed):
        code += [_ins(0x15, nr, 0, 1), _ins(0x06, SECCOMP_RET_ALLOW)]  # A == nr: allow
    code.append(_ins(0x06, SECCOMP_RET_ERRNO | errno.EPERM))
    blob = b"".join(code)
    buf = ctypes.create_string_buffer(blob, len(blob))
    prog = _Prog(len(code), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def main() -> int:
    group, rest = sys.argv[1], sys.argv[2:]
    names = group_names(group)
    while rest[:1] == ["--without"]:
        names.discard(rest[1])
        rest = rest[2:]
    nrs = numbers()
    if rest == ["--list"]:
        print("\n".join(sorted(n for n in names if n in nrs)))
        return 0
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash under test leaves no core file
    install({nrs[n] for n in names if n in nrs})
    os.execv(rest[0], rest)


if __name__ == "__main__":
    sys.exit(main())
