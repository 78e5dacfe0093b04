"""systemd socket activation: serve on a listening socket the service manager passes in.

    # bolt.socket: ListenStream=127.0.0.1:8000     bolt.service: ExecStart=/srv/venv/bin/bolt ...
    sock = inherited_socket()      # None when bolt was not socket-activated

systemd (or ``systemd-socket-activate``) binds the socket itself and hands it to the process it
starts as file descriptor 3, saying so in ``LISTEN_FDS=1`` and ``LISTEN_PID=<that process>``
(sd_listen_fds(3)). The socket outlives bolt: while bolt restarts, the kernel queues new
connections on it and the next bolt accepts them, so a restart refuses none.

Both isolation modes serve on it the way ``--isolation process`` serves on its supervisor's socket
(every core accepts on the one socket, none adds a drain filter to it, since it must keep
listening for the next bolt). The variables are removed from the environment once read, and the
descriptor is made non-inheritable, so nothing bolt starts sees them (sd_listen_fds's
``unset_environment``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import stat
from collections.abc import MutableMapping

__all__ = ["ActivationError", "inherited_socket", "check_address", "LISTEN_FDS_START"]

#: The first passed descriptor (sd_listen_fds(3): SD_LISTEN_FDS_START).
LISTEN_FDS_START = 3
_VARS = ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")


class ActivationError(ValueError):
    """``LISTEN_FDS``/``LISTEN_PID`` are set but unusable; the message says why and what to do."""


def inherited_socket(
    environ: MutableMapping[str, str] | None = None,
    pid: int | None = None,
) -> socket.socket | None:
    """The listening TCP socket systemd passed to this process, or ``None`` when ``LISTEN_FDS``
    and ``LISTEN_PID`` are both unset. Raises ``ActivationError`` for a malformed value, a
    ``LISTEN_PID`` naming another process, more than one socket, or a descriptor that is not a
    listening TCP socket. ``environ``/``pid`` default to this process's (tests pass their own)."""
    env = os.environ if environ is None else environ
    pid = os.getpid() if pid is None else pid
    fds, owner = env.get("LISTEN_FDS"), env.get("LISTEN_PID")
    if fds is None and owner is None:
        return None
    for name in _VARS:
        env.pop(name, None)
    if fds is None:
        raise ActivationError("LISTEN_PID is set but LISTEN_FDS is not: no socket was passed")
    if not re.fullmatch(r"[0-9]+", fds.strip()):
        raise ActivationError(f"LISTEN_FDS={fds!r} is not a number of file descriptors")
    if owner is None or not re.fullmatch(r"[0-9]+", owner.strip()):
        raise ActivationError(f"LISTEN_FDS is set but LISTEN_PID={owner!r} is not a process id")
    if int(owner) != pid:
        # sd_listen_fds() ignores such variables silently; a server that then binds its own
        # port would hide a unit whose socket never reaches it.
        raise ActivationError(
            f"LISTEN_FDS is meant for process {int(owner)}, not this one ({pid}): something between "
            "systemd and bolt (a shell, sudo, a wrapper script) started bolt as a child. Start bolt "
            "directly in ExecStart= (or `exec` it from the script)"
        )
    n = int(fds)
    if n != 1:
        raise ActivationError(
            f"LISTEN_FDS={n}: bolt serves exactly one listening socket; give the .socket unit one ListenStream="
        )
    fd = LISTEN_FDS_START
    try:
        mode = os.fstat(fd).st_mode
    except OSError as e:
        raise ActivationError(f"LISTEN_FDS=1 but file descriptor {fd} is not open: {e}") from None
    if not stat.S_ISSOCK(mode):
        raise ActivationError(f"LISTEN_FDS=1 but file descriptor {fd} is not a socket")
    sock = socket.socket(fileno=fd)
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            raise ActivationError(
                f"the passed socket (fd {fd}) is {sock.family.name}/{sock.type.name}; bolt needs a "
                "TCP one (ListenStream=<address>:<port> or ListenStream=<port>, not a path)"
            )
        if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            raise ActivationError(f"the passed socket (fd {fd}) is not listening (Accept=no and ListenStream=)")
    except BaseException:
        sock.detach()  # the descriptor is systemd's to close, not ours
        raise
    # systemd passes it inheritable: nothing bolt runs (a handler's subprocess) may keep it open.
    os.set_inheritable(fd, False)
    return sock


def check_address(sock: socket.socket, host: str | None, port: int | None) -> None:
    """Raises ``ActivationError`` when ``--host``/``--port`` were given (``None``: not given) and
    do not name the passed socket's address: the unit and the command line would disagree about
    where bolt listens, and the socket unit's address is the one that is served."""
    addr = sock.getsockname()
    ip, actual_port = ipaddress.ip_address(addr[0]), addr[1]
    shown = f"[{ip}]:{actual_port}" if ip.version == 6 else f"{ip}:{actual_port}"
    if port is not None and port != 0 and port != actual_port:
        raise ActivationError(
            f"--port {port} disagrees with the socket systemd passed ({shown}): drop --port, or change ListenStream="
        )
    if host is None:
        return
    try:
        wanted = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (socket.gaierror, ValueError) as e:
        raise ActivationError(f"--host {host}: cannot resolve it to compare with the passed socket: {e}") from None
    mapped = getattr(ip, "ipv4_mapped", None)
    if ip not in wanted and (mapped is None or mapped not in wanted):
        raise ActivationError(
            f"--host {host} disagrees with the socket systemd passed ({shown}): drop --host, or change ListenStream="
        )
