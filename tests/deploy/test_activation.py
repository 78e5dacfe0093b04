"""``django_bolt.activation`` in-process: which ``LISTEN_*`` values are refused and why, that the
variables are gone once read, and ``check_address`` on a real listening socket. (bolt serving a
passed socket is test_systemd.py's.)"""

from __future__ import annotations

import socket

import pytest

from django_bolt.activation import ActivationError, check_address, inherited_socket


def test_no_variables_means_no_socket():
    env: dict[str, str] = {"PATH": "/bin"}
    assert inherited_socket(env, pid=42) is None
    assert env == {"PATH": "/bin"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LISTEN_PID": "42"}, "LISTEN_PID is set but LISTEN_FDS is not"),
        ({"LISTEN_FDS": "x", "LISTEN_PID": "42"}, "LISTEN_FDS='x' is not a number"),
        ({"LISTEN_FDS": "-1", "LISTEN_PID": "42"}, "LISTEN_FDS='-1' is not a number"),
        ({"LISTEN_FDS": "1"}, "LISTEN_PID=None is not a process id"),
        ({"LISTEN_FDS": "1", "LISTEN_PID": "abc"}, "LISTEN_PID='abc' is not a process id"),
        ({"LISTEN_FDS": "1", "LISTEN_PID": "7"}, "meant for process 7, not this one (42)"),
        ({"LISTEN_FDS": "2", "LISTEN_PID": "42"}, "LISTEN_FDS=2: bolt serves exactly one"),
        ({"LISTEN_FDS": "0", "LISTEN_PID": "42"}, "LISTEN_FDS=0"),
    ],
)
def test_unusable_variables_are_refused_with_the_reason(env, message):
    env = {**env, "LISTEN_FDNAMES": "bolt", "OTHER": "kept"}
    with pytest.raises(ActivationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inherited_socket(env, pid=42)
    # Read once: nothing bolt starts afterwards sees them.
    assert env == {"OTHER": "kept"}


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s
    s.close()


def test_check_address_accepts_what_names_the_socket(listener):
    port = listener.getsockname()[1]
    for host, p in [(None, None), ("127.0.0.1", port), ("localhost", None), (None, 0)]:
        check_address(listener, host, p)


def test_check_address_refuses_another_port_or_host(listener):
    port = listener.getsockname()[1]
    with pytest.raises(ActivationError, match=f"--port {port + 1} disagrees .*127.0.0.1:{port}"):
        check_address(listener, None, port + 1)
    with pytest.raises(ActivationError, match="--host 10.9.8.7 disagrees"):
        check_address(listener, "10.9.8.7", port)
    with pytest.raises(ActivationError, match="--host no.such.host.invalid: cannot resolve"):
        check_address(listener, "no.such.host.invalid", None)
