"""The node's background work while it serves: sending the outbox, signing checkpoints and
offering them to the peers' witnesses.

One thread per serving process. It sends whatever falls due (and at once when woken, after
something was queued), and every `checkpoint_every` seconds signs a checkpoint of the ledger if
it grew and offers the latest to every peer's witness that has not cosigned it. Stopping lets the attempt in flight finish: a message leased and not settled is taken
again once its lease runs out, and the partner's inbox makes the second attempt harmless.
"""

from __future__ import annotations

import logging
import threading
import time

from gsomia.errors import GsomiaError
from gsomia.node import witnessing
from gsomia.node.client import Client
from gsomia.node.commands import ledger
from gsomia.node.context import Node

log = logging.getLogger("gsomia.worker")


class Worker:
    def __init__(
        self,
        node: Node,
        passphrase: bytes,
        *,
        poll: float = 0.25,
        checkpoint_every: float = 30.0,
    ) -> None:
        self.node = node
        self.passphrase = passphrase
        self.poll = poll
        self.checkpoint_every = checkpoint_every
        self.client = Client(node, passphrase)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gsomia-worker", daemon=True)
        self._last_checkpoint = 0.0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Send what is due now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                busy = self.client.send_due() > 0
                self._checkpoint()
            except GsomiaError as exc:
                log.warning("worker: %s", exc.message)
            except Exception:  # the worker outlives any one failure; the log says what
                log.exception("worker: unexpected failure")
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()

    def _checkpoint(self) -> None:
        if time.monotonic() - self._last_checkpoint < self.checkpoint_every:
            return
        self._last_checkpoint = time.monotonic()
        head = ledger.head(self.node, self.passphrase)
        if head.signed_now:
            log.info("checkpoint signed at size %d", head.size)
        witnessing.submit(self.node, self.passphrase, self.client.http)
