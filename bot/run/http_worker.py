"""gunicorn's ``gthread`` worker, except that no thread waits for a client to finish its request.

Stock ``gthread`` hands a connection to a thread as soon as its first bytes arrive; the thread then
blocks reading the rest, headers and body, with no deadline. Twenty clients that send their headers
and never their body hold sixteen threads for ever, and ``/healthz`` and Slack's own requests wait
behind them (issue 7, finding 5).

``BufferingThreadWorker`` reads each request whole in the worker's poller (non-blocking, no thread),
and only then hands it to a thread, which finds every byte already there:

- a request has ``REQUEST_READ_SECONDS`` from its connection to its last byte, else 408 and closed;
- at most ``MAX_READING`` connections are being read at once; one more closes the oldest (a slow
  client cannot keep a quick one out);
- a body over ``MAX_BODY_BYTES`` (``Content-Length``) is 413 before it is read; a chunked one
  (no length; Slack never sends one) is 411; headers over ``MAX_HEADER_BYTES`` are 431.

Connections are not kept alive (``keepalive = 0`` in bot/serve.py): a kept-alive connection would go
back to gthread's blocking read for its next request. TLS is terminated in front of the bot (a load
balancer or a reverse proxy); with gunicorn's own TLS this worker falls back to gthread's path.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from bot.run.verification import MAX_BODY_BYTES

REQUEST_READ_SECONDS = 5.0  # Slack waits 3 s for an answer; a request still arriving after 5 s is no use
MAX_READING = 128
MAX_HEADER_BYTES = 32 * 1024
RECV_BYTES = 65536

READY = "ready"
MORE = "more"


def verdict(inbox: bytes | bytearray) -> str:
    """READY when ``inbox`` holds a whole request, MORE when bytes are missing, else the HTTP status
    line to refuse it with."""
    end = inbox.find(b"\r\n\r\n")
    if end < 0:
        return "431 Request Header Fields Too Large" if len(inbox) > MAX_HEADER_BYTES else MORE
    if end > MAX_HEADER_BYTES:
        return "431 Request Header Fields Too Large"
    lengths: set[bytes] = set()
    for line in bytes(inbox[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            lengths.add(value.strip())
        elif name == b"transfer-encoding":
            return "411 Length Required"
    if not lengths:
        return READY  # no body (a GET)
    if len(lengths) > 1 or not all(value.isdigit() and len(value) <= 12 for value in lengths):
        return "400 Bad Request"
    length = int(lengths.pop())
    if length > MAX_BODY_BYTES:
        return "413 Content Too Large"
    return READY if len(inbox) - (end + 4) >= length else MORE


def expects_continue(inbox: bytes | bytearray) -> bool:
    """The client waits for ``100 Continue`` before it sends its body (curl does, above 1 KB)."""
    head = bytes(inbox[: inbox.find(b"\r\n\r\n")]).lower()
    return b"\r\nexpect: 100-continue" in head or b"\r\nexpect:100-continue" in head


class BufferingThreadWorker(ThreadWorker):
    """``gthread`` whose threads only ever see requests that have fully arrived."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: deque[TConn] = deque()  # oldest first (their deadlines in order)

    def accept(self, listener: Any) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking from here
        if self.cfg.is_ssl:  # TLS bytes cannot be read ahead: gthread's own path
            client.setblocking(True)
            self.enqueue_req(conn)
            return
        conn.inbox = bytearray()
        conn.continued = False
        conn.read_deadline = time.monotonic() + REQUEST_READ_SECONDS
        if len(self.reading) >= MAX_READING:
            self._refuse(self.reading[0], "503 Service Unavailable")
        self.reading.append(conn)
        self.poller.register(client, selectors.EVENT_READ, partial(self.on_request_bytes, conn))

    def on_request_bytes(self, conn: TConn, client: Any) -> None:
        """The poller saw bytes on a connection being read: take them, hand the request over when whole."""
        try:
            data = client.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:  # the client gave up
            self._close(conn)
            return
        conn.inbox += data
        state = verdict(conn.inbox)
        if state == MORE:
            if not conn.continued and conn.inbox.find(b"\r\n\r\n") >= 0 and expects_continue(conn.inbox):
                conn.continued = True
                _send_quietly(client, b"HTTP/1.1 100 Continue\r\n\r\n")
            return
        if state != READY:
            self._refuse(conn, state)
            return
        self._stop_reading(conn)
        conn.prebuffer = bytes(conn.inbox)
        conn.inbox = None
        self.enqueue_req(conn)

    def handle(self, conn: TConn) -> Any:
        """In the thread: give the parser the bytes read by the poller, then gthread's handling."""
        prebuffer = getattr(conn, "prebuffer", None)
        if prebuffer is not None:
            conn.prebuffer = None
            conn.init()  # blocking socket, HTTP/1 parser
            conn.parser.unreader.unread(prebuffer)
        return super().handle(conn)

    def murder_pending(self) -> None:
        """gthread's clean-up, and 408 to the connections whose request did not arrive in time."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].read_deadline <= now:
            self._refuse(self.reading[0], "408 Request Timeout")

    def _stop_reading(self, conn: TConn) -> None:
        with contextlib.suppress(ValueError):
            self.reading.remove(conn)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _refuse(self, conn: TConn, status: str) -> None:
        self.log.warning("refused a request before reading it: %s", status)
        _send_quietly(
            conn.sock, f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        self._close(conn)

    def _close(self, conn: TConn) -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()


def _send_quietly(sock: Any, data: bytes) -> None:
    """Best effort, never blocking: a refusal the client does not read is its loss."""
    with contextlib.suppress(OSError):
        sock.send(data)
