"""Request bodies bounded and well framed before Pyramid reads a byte of them.

Pyramid parses a form (for the CSRF check, the NUL check, the login form)
before any view decides whether the visitor may post at all, and WebOb
buffers a whole body in memory on first access.  :class:`RequestBodyLimit`
sits in front of the application and refuses, without reading the body:

- a ``Content-Length`` above ``MAX_REQUEST_BODY_BYTES`` (413);
- a ``Content-Length`` that is not a number (400);
- a ``multipart/form-data`` body without a usable boundary, which no form
  parser can read (400).

A body without ``Content-Length`` (chunked, under a server that passes it
through) is read up to the limit and no further.  An accepted body is handed
on in memory, marked seekable: WebOb would otherwise copy any body over
10 KiB into a temporary file that nothing closes.  Waitress enforces the same
limit itself (``max_request_body_size``, see ``plantao serve``) while it
buffers a request; this layer keeps the limit under any other server and
under the test client, and answers in the application's own words.
"""

from __future__ import annotations

import io
import json
import re

from .routes import API

#: What multipart parsers accept as a boundary (the rule of Python's old
#: ``cgi.valid_boundary``, which WebOb applies): printable ASCII, at most 201
#: characters, not ending in a space.
_BOUNDARY = re.compile(r"^[ -~]{0,200}[!-~]$")


def _size(limit: int) -> str:
    if limit % 1048576 == 0:
        return f"{limit // 1048576} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def _has_boundary(content_type: str) -> bool:
    for param in content_type.split(";")[1:]:
        name, _eq, value = param.partition("=")
        if name.strip().lower() == "boundary":
            return bool(_BOUNDARY.match(value.strip().strip('"')))
    return False


def _read(stream, at_most: int) -> bytes:
    """Up to ``at_most`` bytes: a WSGI input may return less than asked per read."""
    parts = []
    remaining = at_most
    while remaining > 0:
        part = stream.read(min(remaining, 65536))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


class RequestBodyLimit:
    """WSGI wrapper of the application; ``registry`` stays reachable as an attribute."""

    def __init__(self, app, registry, limit: int):
        self.app = app
        self.registry = registry
        self.limit = limit

    def __call__(self, environ, start_response):
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.split(";")[0].strip().lower() == "multipart/form-data" and not _has_boundary(content_type):
            return self._refuse(
                environ,
                start_response,
                "400 Bad Request",
                "multipart/form-data needs a boundary parameter in Content-Type.",
                "O formulário enviado não traz o parâmetro boundary no Content-Type.",
            )
        raw_length = environ.get("CONTENT_LENGTH", "").strip()
        if raw_length:
            if not raw_length.isdigit():
                return self._refuse(
                    environ,
                    start_response,
                    "400 Bad Request",
                    "Content-Length must be a number of bytes.",
                    "O cabeçalho Content-Length não é um número de bytes.",
                )
            length = int(raw_length)
            if length > self.limit:
                return self._too_large(environ, start_response)
            if length:
                self._hand_on(environ, _read(environ["wsgi.input"], length))
        elif self._body_without_length(environ):
            # Read one byte past the limit: enough to know it was exceeded.
            body = _read(environ["wsgi.input"], self.limit + 1)
            if len(body) > self.limit:
                return self._too_large(environ, start_response)
            self._hand_on(environ, body)
        return self.app(environ, start_response)

    @staticmethod
    def _hand_on(environ, body: bytes) -> None:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["webob.is_body_seekable"] = True

    @staticmethod
    def _body_without_length(environ) -> bool:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        return chunked or bool(environ.get("wsgi.input_terminated"))

    def _too_large(self, environ, start_response):
        size = _size(self.limit)
        return self._refuse(
            environ,
            start_response,
            "413 Request Entity Too Large",
            f"The request body is larger than the limit of {size} ({self.limit} bytes).",
            f"O pedido passa do limite de {size} ({self.limit} bytes).",
            {"limit": self.limit},
        )

    @staticmethod
    def _refuse(environ, start_response, status: str, message: str, message_pt: str, details=None):
        path = environ.get("PATH_INFO", "")
        if path == API or path.startswith(API + "/"):
            body = json.dumps({"error": message, "details": details}).encode()
            content_type = "application/json"
        else:
            code = status.split(" ", 1)[0]
            body = (
                f'<!DOCTYPE html><html lang="pt-BR"><title>Erro {code}</title>'
                f"<h1>{code} — pedido recusado</h1><p>{message_pt}</p>"
                f'<p lang="en">{message}</p></html>'
            ).encode()
            content_type = "text/html; charset=UTF-8"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]
