"""Runs a command with io_uring refused by the kernel, as on a machine where it is disabled
(``kernel.io_uring_disabled``, an old kernel, a container's seccomp profile):

    python tests/support/nouring.py ERRNO /path/to/bolt --driver auto ...

A seccomp filter makes every ``io_uring_setup`` fail with ``ERRNO`` (1 = EPERM, 38 = ENOSYS) and
allows everything else; it is inherited by the threads the command starts. Linux x86-64 and
arm64 (``io_uring_setup`` is syscall 425 on both).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import struct
import sys

IO_URING_SETUP = 425
SUPPORTED = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDIT_ARCH_* of the running kernel ABI
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x00050000, 0x7FFF0000


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)  # struct sock_filter


class _Prog(ctypes.Structure):  # struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def refuse_io_uring(errno: int) -> None:
    arch = SUPPORTED[platform.machine()]
    code = b"".join(
        [
            _ins(0x20, 4),  # A = seccomp_data.arch
            _ins(0x15, arch, 1, 0),  # if A == arch: skip the next one
            _ins(0x06, SECCOMP_RET_ALLOW),  # another ABI: allow
            _ins(0x20, 0),  # A = seccomp_data.nr
            _ins(0x15, IO_URING_SETUP, 0, 1),  # if A == io_uring_setup: next, else skip it
            _ins(0x06, SECCOMP_RET_ERRNO | errno),  # refuse with errno
            _ins(0x06, SECCOMP_RET_ALLOW),
        ]
    )
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _Prog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash under test leaves no core file
    refuse_io_uring(int(sys.argv[1]))
    os.execv(sys.argv[2], sys.argv[2:])
