"""The HTTP side of a pull: one JSON GET at a time, paced, retried, never showing a secret.

:class:`ApiClient` asks an API for one page (:meth:`ApiClient.get_json`): requests are spaced
by ``delay`` seconds; a ``429``, a ``5xx``, a dropped connection, a timeout or a body cut
before its end is tried again after a pause (``Retry-After`` when the server gives one, else
``backoff`` doubling each time); a refusal (``401``/``403``) or another ``4xx`` stops at once.
What cannot be had raises :class:`ApiFailure`, whose text names the API path and the cause,
never the query string (Diigo's key travels in it) nor any :class:`Secret`.

Requests go straight to an ``httpx.HTTPTransport``: ``httpx.Client`` logs every URL it
requests at INFO level, and a URL with a key in it must not reach anyone's log.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from .. import __version__
from ..errors import InputError, PullError
from ..fetch import classify_error, parse_retry_after

USER_AGENT = f"indexer/{__version__} (personal research index; pull)"


class Secret:
    """A token, key or password: its value is read with :meth:`reveal`, never printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def load_secret(what: str, env: Mapping[str, str], variable: str,
                file: Path | None) -> Secret | None:
    """The secret in ``file`` (its first line) if given, else in ``env[variable]``, else None.

    ``what`` names the secret for the error of an unreadable or empty file.
    """
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            raise InputError(file, f"cannot read the {what} ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise InputError(file, f"the {what} file is not UTF-8 text") from None
        if not value or not value[0].strip():
            raise InputError(file, f"the {what} file is empty")
        return Secret(value[0].strip())
    value = (env.get(variable) or "").strip()
    return Secret(value) if value else None


@dataclass(frozen=True)
class PullOptions:
    """How a pull talks to its API. Times in seconds."""

    base_url: str
    page_size: int
    delay: float = 0.0  # spacing between request starts
    retries: int = 5  # extra attempts on a retryable answer
    backoff: float = 2.0  # first pause before a retry; doubles each time
    max_retry_after: float = 600.0  # cap on a server's Retry-After
    timeout: float = 30.0

    def check(self, max_page: int) -> None:
        """Raise :class:`PullError` on settings that make no sense."""
        if not self.base_url.startswith(("http://", "https://")):
            raise PullError(f"--base-url must be an http(s) URL: {self.base_url}")
        if not 1 <= self.page_size <= max_page:
            raise PullError(f"--page-size must be between 1 and {max_page}")
        if min(self.delay, self.backoff, self.max_retry_after) < 0 or self.retries < 0:
            raise PullError("--delay, --backoff and --retries cannot be negative")
        if self.timeout <= 0:
            raise PullError("the timeout must be positive")


class ApiFailure(Exception):
    """A page the API would not give: ``str()`` is safe to show (no query, no secret)."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable, self.retry_after = retryable, retry_after


@dataclass
class ApiClient:
    """GET JSON pages of one API; counts requests and retries for the summary."""

    api: str  # `hypothesis` or `diigo`: the first word of every message
    options: PullOptions
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[Secret, ...] = ()  # scrubbed from any text shown, whatever its source
    requests: int = 0
    retried: int = 0

    def __post_init__(self) -> None:
        import httpx

        self._transport = httpx.HTTPTransport(trust_env=False)
        self._last_start: float | None = None

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get_json(self, path: str, params: dict[str, Any], what: str) -> Any:
        """The JSON answer of ``GET base_url + path`` with ``params``; ``what`` says which
        page, for messages. Retries as the module says, then raises :class:`ApiFailure`."""
        attempt = 0
        while True:
            try:
                return self._once(path, params, what)
            except ApiFailure as failure:
                if not failure.retryable or attempt >= self.options.retries:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise ApiFailure(self.scrub(f"{failure}{tries}"), False) from None
                pause = failure.retry_after
                if pause is None:
                    pause = self.options.backoff * 2**attempt
                time.sleep(min(pause, self.options.max_retry_after))
                attempt += 1
                self.retried += 1

    def _once(self, path: str, params: dict[str, Any], what: str) -> Any:
        import httpx

        where = f"{self.api}: {what} of {self.options.base_url.rstrip('/')}{path}"
        self._pace()
        request = httpx.Request(
            "GET", self.options.base_url.rstrip("/") + path, params=params,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **self.headers},
            extensions={"timeout": httpx.Timeout(self.options.timeout).as_dict()},
        )
        self.requests += 1
        try:
            response = self._transport.handle_request(request)
            try:
                body = response.read()
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise ApiFailure(f"{where}: {classify_error(exc)} ({self.scrub(str(exc))})",
                             True) from None
        return self._answer(response, body, where)

    def _answer(self, response, body: bytes, where: str) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise ApiFailure(f"{where}: HTTP {status}: the API refused the credentials (check"
                             " the token, key or password given)", False)
        if status == 429 or status >= 500:
            value = response.headers.get("retry-after")
            raise ApiFailure(f"{where}: HTTP {status}", True,
                             parse_retry_after(value) if value else None)
        if status != 200:
            raise ApiFailure(f"{where}: HTTP {status}", False)
        try:
            return json.loads(body)
        except ValueError:  # a body cut short, or not JSON at all: ask again
            raise ApiFailure(f"{where}: the answer is not complete JSON", True) from None

    def _pace(self) -> None:
        now = time.monotonic()
        if self._last_start is not None:
            wait = self._last_start + self.options.delay - now
            if wait > 0:
                time.sleep(wait)
        self._last_start = time.monotonic()

    def scrub(self, text: str) -> str:
        """``text`` with every secret's value replaced by ``***``."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret.reveal(), "***")
        return text


def basic_auth(user: str, password: Secret) -> dict[str, str]:
    """The Authorization header of HTTP Basic authentication."""
    pair = f"{user}:{password.reveal()}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
