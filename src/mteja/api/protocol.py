"""The HTTP/1.1 protocol of ``mteja serve``: uvicorn's, with a bound on request headers.

uvicorn's httptools protocol reads a request's headers whatever their size (a 32 MB header
was read whole and answered). The pipeline answers 431 to headers over 16 KiB in all
(``api.guards``); this bound stops the reading itself, at a size no honest request comes
near, and answers the same 431 envelope without running the application.
"""

from __future__ import annotations

from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mteja.core.errors import HeadersTooLarge
from mteja.core.ids import new_id
from mteja.kit.http.errors import error_body

# The request line and the header section together, as received: the pipeline's 16 KiB of
# header fields, plus room for a long URL and the separators.
MAX_HEAD_BYTES = 64 * 1024
# After the 431, what the client still sends is read and dropped for this long before the
# connection closes: closing with unread data would reset it, and the client could lose
# the answer (the "lingering close" of other servers).
LINGER_SECONDS = 2.0


class BoundedHeadersProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # dropped, unparsed, until the connection closes
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True
        self._head_bytes = 0

    def _refuse(self) -> None:
        error = HeadersTooLarge()
        request_id = new_id("req")
        body = orjson.dumps({"error": error_body(error, request_id)})
        head = (
            f"HTTP/1.1 {error.status} Request Header Fields Too Large\r\n"
            "content-type: application/json\r\n"
            f"request-id: {request_id}\r\n"
            "x-content-type-options: nosniff\r\n"
            "cache-control: no-store\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self._refused = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
