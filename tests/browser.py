"""A headless Chromium for tests: Debian's ``chromium`` driven by selenium through Debian's
``chromedriver``, kept off every network but loopback.

Usage::

    from browser import Browser, require_browser

    require_browser()                      # skips the test, with the reason, when absent
    with Browser() as b:
        b.open("http://127.0.0.1:8000/page.html")
        text = b.inner_text()              # document.body.innerText: the text as rendered

Install the browser with ``scripts/install-test-browser.sh`` (as root: apt-get). selenium is
given the system chromedriver's path, so its own manager never tries to download a driver.

The browser must reach nothing but the test servers on 127.0.0.0/8, whatever the pages ask
for (their scripts, fonts, trackers): every request goes to a proxy address where nothing
listens (loopback is never proxied, Chromium's implicit bypass), host names other than
``127.0.0.1``/``localhost`` resolve to nothing, QUIC and non-proxied WebRTC UDP are off, and
Chromium's own background services (updates, sync, safe browsing, metrics) are disabled.
``Browser(net_log=path)`` records every connection attempted, :func:`net_log_connections`
reads them back (tests/stages/test_fragment_links.py checks them all: TCP to 127.0.0.1 only;
the one other socket call is Chromium's IPv6 reachability probe, a UDP connect() that sends
no packet). Each browser gets a fresh profile in a temporary directory, removed by
:meth:`Browser.stop`.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Self

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "scripts/install-test-browser.sh (as root)"

# The flags the project asks for, then those that keep the browser off the network.
BASE_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-default-apps", "--disable-extensions", "--disable-breakpad", "--no-pings",
    "--no-default-browser-check", "--metrics-recording-only",
    ("--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication,"
     "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,"
     "NetworkTimeServiceQuerying"),
)


def missing() -> str | None:
    """Why the browser cannot run here (the first thing missing, and how to get it), or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return (f"needs Debian's chromium and chromium-driver: {path} is absent;"
                    f" install them with {INSTALL}")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs the selenium package, in the test extra: pip install -e '.[test]'"
    return None


def require_browser() -> None:
    """Skip the calling test, saying what to install, when the browser cannot run."""
    import pytest

    why = missing()
    if why:
        pytest.skip(why)


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released): the proxy that refuses all."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium session; ``javascript=False`` renders pages without their scripts.

    ``net_log``: a path where Chromium writes its NetLog (every connection it attempted), to
    check that nothing left loopback.
    """

    def __init__(self, javascript: bool = True, width: int = 1280, height: int = 900,
                 net_log: Path | None = None, load_timeout: float = 30.0):
        self.javascript = javascript
        self.size = (width, height)
        self.net_log = net_log
        self.load_timeout = load_timeout
        self.driver = None
        self._profile: str | None = None

    def flags(self) -> list[str]:
        """Chromium's command line (the profile directory aside)."""
        out = [*BASE_FLAGS, *OFFLINE_FLAGS, f"--proxy-server=http://127.0.0.1:{dead_port()}",
               "--window-size={},{}".format(*self.size)]
        if self.net_log:
            out.append(f"--log-net-log={self.net_log}")
        return out

    def start(self) -> Self:
        """Start chromedriver and Chromium with a fresh profile."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self._profile = tempfile.mkdtemp(prefix="indexer-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in [*self.flags(), f"--user-data-dir={self._profile}"]:
            options.add_argument(flag)
        # a real page's script may open an alert (one does when a resource it wants is
        # refused, depending on timing): dismiss it rather than fail the next command
        options.set_capability("unhandledPromptBehavior", "dismiss")
        if not self.javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2})
        try:
            self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        except Exception:
            self._remove_profile()
            raise
        self.driver.set_page_load_timeout(self.load_timeout)
        return self

    def stop(self) -> None:
        """Quit the browser and chromedriver; remove the profile."""
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
        self._remove_profile()

    def _remove_profile(self) -> None:
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- pages ------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Navigate to ``url`` (a new document: from about:blank first, so that a link that
        differs from the current page only by its fragment still loads, and a text fragment
        is honoured) and wait for its load event."""
        if not url.startswith(("http://127.", "http://localhost", "data:", "about:")):
            raise ValueError(f"the test browser opens loopback pages only, not {url}")
        self.driver.get("about:blank")
        self.driver.get(url)

    def run(self, script: str, *args):
        """Run JavaScript in the page (``return ...`` gives a value back)."""
        return self.driver.execute_script(script, *args)

    def inner_text(self) -> str:
        """``document.body.innerText`` of the current page: its text as rendered."""
        return self.run("return document.body ? document.body.innerText : ''") or ""

    def wait_for(self, script: str, timeout: float = 3.0, every: float = 0.1):
        """Run ``script`` until it returns something true (returned), or None after ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            value = self.run(script)
            if value or time.monotonic() > end:
                return value or None
            time.sleep(every)

    def settled_scroll(self, timeout: float = 5.0, every: float = 0.2) -> float:
        """``window.scrollY`` once the page stopped scrolling (pages may scroll smoothly, and a
        text fragment is searched once the page has loaded): 0 if it never moved."""
        end, last = time.monotonic() + timeout, None
        while True:
            y = self.run("return window.scrollY")
            if (y and y == last) or time.monotonic() > end:
                return y or 0
            last = y
            time.sleep(every)


def net_log_connections(path: Path) -> list[tuple[str, str]]:
    """``(event, address)`` of every socket connection a NetLog (``Browser(net_log=...)``)
    records Chromium attempting, TCP or UDP. Read line by line: one event per line, and a
    log of a hundred pages runs to tens of megabytes."""
    import json

    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip().rstrip(",")
        names = {v: k for k, v in json.loads(first + "}")["constants"]["logEventTypes"].items()}
        out = []
        for line in f:
            if '"address"' not in line or not line.startswith("{"):
                continue
            text = line.rstrip().rstrip(",")
            event = json.loads(text[:-1] if text.endswith("}]") else text)  # the last event
            name = names.get(event.get("type"), "")
            if name in ("TCP_CONNECT_ATTEMPT", "UDP_CONNECT", "SOCKET_CONNECT"):
                out.append((name, event["params"]["address"]))
    return out
