"""A channel layer for the embedded default (no Redis) that delivers across the processes of one host.

`make run` starts two gunicorn workers; with Channels' in-memory layer an event published in one (a chat reply, a
task update) never reached a WebSocket connected to the other. This layer is the in-memory layer plus a fan-out:
- a process that has WebSocket members binds a Unix datagram socket in a private directory (mode 0700, owned by
  this uid; one directory per database, so unrelated instances never mix);
- `group_send` delivers to this process's members and sends the event once to every other process's socket; each
  receiver delivers it to its own members of the group. A dead process's socket refuses and is removed.
Same host only — which the embedded default is by construction (one SQLite file). Messages to a specific channel
name (`send`) stay in-process: this project only addresses groups. Events larger than a datagram (~200 KiB) are
dropped with an error in the log, as channels_redis drops past its capacity.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import logging
import os
import secrets
import socket
import stat
from pathlib import Path
from typing import Any

import msgpack
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

_RCVBUF = 4 * 1024 * 1024


class HostChannelLayer(InMemoryChannelLayer):
    extensions = ["groups", "flush"]

    def __init__(self, directory: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(directory)
        self._sock: socket.socket | None = None
        self._sock_path: Path | None = None
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sender: socket.socket | None = None
        self._sender_pid: int | None = None
        self._deliveries: set[asyncio.Future[None]] = set()

    # --- the private directory -------------------------------------------------------------------------------------
    def _directory_ok(self) -> bool:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = self.directory.stat()
        except OSError:
            logger.exception("Channel layer directory %s unusable; events stay in this process", self.directory)
            return False
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            logger.error(
                "Channel layer directory %s is not private to this user (owner %s, mode %o); events stay in this "
                "process",
                self.directory,
                info.st_uid,
                stat.S_IMODE(info.st_mode),
            )
            return False
        return True

    # --- receiving ---------------------------------------------------------------------------------------------------
    def _listen(self) -> None:
        """Bind this process's socket (once per process) and read it on the running loop (re-registered when the
        loop changes, as in tests)."""
        loop = asyncio.get_running_loop()
        if self._sock is not None and self._pid == os.getpid():
            if self._loop is loop:
                return
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._sock.fileno())
        else:
            if not self._directory_ok():
                return
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
            path = self.directory / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
            sock.bind(str(path))
            self._sock, self._sock_path, self._pid = sock, path, os.getpid()
            atexit.register(_unlink, path)
        loop.add_reader(self._sock.fileno(), self._on_readable)
        self._loop = loop

    def _on_readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                logger.exception("Channel layer socket failed")
                return
            try:
                group, message = msgpack.unpackb(data, raw=False)
            except Exception:
                logger.warning("Undecodable channel layer datagram dropped")
                continue
            if group in self.groups:
                task = asyncio.ensure_future(InMemoryChannelLayer.group_send(self, group, message))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    # --- sending -----------------------------------------------------------------------------------------------------
    def _broadcast(self, group: str, message: dict[str, Any]) -> None:
        try:
            peers = [p for p in self.directory.glob("*.sock") if p != self._sock_path]
        except OSError:
            return
        if not peers:
            return
        data = msgpack.packb([group, message], use_bin_type=True)
        if self._sender is None or self._sender_pid != os.getpid():
            self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sender.setblocking(False)
            self._sender_pid = os.getpid()
        for peer in peers:
            try:
                self._sender.sendto(data, str(peer))
            except (ConnectionRefusedError, FileNotFoundError):
                _unlink(peer)  # its process is gone
            except BlockingIOError:
                logger.warning("Channel layer peer %s is full; event for %s dropped", peer.name, group)
            except OSError as exc:
                if exc.errno == errno.EMSGSIZE:
                    logger.error("Channel layer event for %s too large (%d bytes); dropped", group, len(data))
                    return
                logger.warning("Channel layer send to %s failed: %s", peer.name, exc)

    # --- the layer API -----------------------------------------------------------------------------------------------
    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        self._listen()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await super().group_send(group, message)
        self.require_valid_group_name(group)
        self._broadcast(group, message)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
