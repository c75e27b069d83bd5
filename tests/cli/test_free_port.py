"""The ports tests give their daemons: free, never the same twice, and never another
worker's."""

from __future__ import annotations

import socket

import pytest

from tests.support import cli
from tests.support.cli import free_port


def test_a_port_is_never_handed_out_twice_though_each_is_free_again_at_once() -> None:
    """Each port is released when free_port returns (the daemon binds it later), so only
    memory keeps two daemons of one test from being given the same one."""
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    for port in ports[:20]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free indeed
    assert all(port < cli._ephemeral_low() for port in ports)


def test_each_worker_has_a_share_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """gw0..gw4 of five workers take every fifth port, each from its own starting point."""
    shares = []
    for worker in range(5):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "5")
        shares.append({free_port() % 5 for _ in range(20)})
    assert all(len(share) == 1 for share in shares)
    assert len(set.union(*shares)) == 5
