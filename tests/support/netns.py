"""Network namespaces for tests that need several machines on one (tests/multihost): a private
LAN of namespaces, none of its traffic in the test's own namespace.

    lan = Lan.create("mh", hosts={"a": "10.77.0.11", "b": "10.77.0.12"})
    with lan.inside("hub"):                 # this thread's sockets and children are in the hub
        proc = subprocess.Popen([...])      # runs in the hub namespace
        sock = socket.create_connection(("10.77.0.11", 8000))
    lan.destroy()                           # every namespace gone (its interfaces with it)

The hub namespace holds a bridge with the LAN's first address (``10.77.0.1/24``); each host
namespace is joined to it by a veth pair (one end in the host, ``eth0``, the other in the hub,
enslaved to the bridge). Names carry this process's pid, so two runs never collide; namespaces
of an earlier run that was killed before its teardown (its pid gone) are removed, with whatever
still runs in them, when the next LAN is made.

Entering a namespace (``setns(2)``) changes only the calling thread: sockets it opens and
processes it starts stay in that namespace for life, while the test's other threads stay where
they were. Needs root (CAP_SYS_ADMIN); ``missing()`` says why it cannot run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NETNS_DIR = Path("/run/netns")  # where `ip netns add` mounts named namespaces


def missing() -> str | None:
    """Why namespaces cannot be made here (not root, no `ip`), or None."""
    if os.geteuid() != 0:
        return "needs root: creates network namespaces (ip netns) and veth pairs"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    if not hasattr(os, "setns"):
        return "os.setns needs Python 3.12+"
    return None


def ip(*args: str) -> None:
    """Runs ``ip args...``; raises with its stderr when it fails."""
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed with {proc.returncode}: {proc.stderr.strip()}")


def listed() -> list[str]:
    """The names ``ip netns list`` shows."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=20).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@contextmanager
def entered(name: str) -> Iterator[None]:
    """This thread in namespace ``name`` until the block ends (then back where it was)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(NETNS_DIR / name, os.O_RDONLY)
        try:
            os.setns(target, os.CLONE_NEWNET)
        finally:
            os.close(target)
        try:
            yield
        finally:
            os.setns(own, os.CLONE_NEWNET)
    finally:
        os.close(own)


def _pids(name: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=20).stdout
    return [int(p) for p in out.split()]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _sweep(prefix: str) -> None:
    """Removes the namespaces (and what runs in them) of earlier runs that were killed before
    their teardown: ``<prefix><pid>-...`` where no process ``pid`` exists any more."""
    for name in listed():
        digits = name[len(prefix) :].split("-", 1)[0]
        if name.startswith(prefix) and digits.isdigit() and not Path(f"/proc/{digits}").exists():
            _kill(_pids(name))
            ip("netns", "del", name)


class Lan:
    """A hub namespace with a bridge and one namespace per host, each with its own address."""

    PREFIX_LEN = 24

    def __init__(self, tag: str, hub_address: str, hosts: dict[str, str]) -> None:
        self.tag = f"bolt-{tag}{os.getpid()}"
        self.hub_address = hub_address
        self.hosts = dict(hosts)  # role -> address
        self.made: list[str] = []

    def ns(self, role: str) -> str:
        """The namespace's name for ``hub`` or a host's role."""
        return f"{self.tag}-{role}"

    @classmethod
    def create(cls, tag: str, hosts: dict[str, str], hub_address: str = "10.77.0.1") -> Lan:
        _sweep(f"bolt-{tag}")
        lan = cls(tag, hub_address, hosts)
        try:
            lan._build()
        except BaseException:
            lan.destroy()
            raise
        return lan

    def _add(self, name: str) -> None:
        if name in listed():  # left by a crashed run whose pid this one reuses
            ip("netns", "del", name)
        ip("netns", "add", name)
        self.made.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def _build(self) -> None:
        hub = self.ns("hub")
        self._add(hub)
        ip("-n", hub, "link", "add", "br0", "type", "bridge")
        ip("-n", hub, "addr", "add", f"{self.hub_address}/{self.PREFIX_LEN}", "dev", "br0")
        ip("-n", hub, "link", "set", "br0", "up")
        for role, address in self.hosts.items():
            name = self.ns(role)
            self._add(name)
            # Both ends are created straight in their namespaces: nothing appears in ours.
            ip("link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", f"v-{role}", "netns", hub)
            ip("-n", hub, "link", "set", f"v-{role}", "master", "br0")
            ip("-n", hub, "link", "set", f"v-{role}", "up")
            ip("-n", name, "addr", "add", f"{address}/{self.PREFIX_LEN}", "dev", "eth0")
            ip("-n", name, "link", "set", "eth0", "up")

    def inside(self, role: str):
        """``entered`` the namespace of ``hub`` or a host."""
        return entered(self.ns(role))

    def destroy(self) -> None:
        """Deletes every namespace this LAN made (their veth pairs and bridge go with them). A
        namespace some process still runs in lives on until it exits: stop those first."""
        errors = []
        for name in reversed(self.made):
            # Whatever still runs there was not stopped by its owner: a bug to report, and a
            # process to end, or the namespace would outlive the test.
            left = _pids(name)
            if left:
                errors.append(f"processes left in {name}: {left}")
                _kill(left)
            try:
                ip("netns", "del", name)
            except RuntimeError as e:
                errors.append(str(e))
        left = [name for name in listed() if name in self.made]
        self.made.clear()
        if left:
            errors.append(f"still listed after deletion: {left}")
        if errors:
            raise RuntimeError("; ".join(errors))
