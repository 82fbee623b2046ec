"""A headless Chromium for one pytest session (or xdist worker), driven by Playwright.

Started on first use, stopped by :meth:`BrowserSession.close` (the plugin calls it at session
finish, also after failures). One persistent context in a fresh ``--user-data-dir`` holds one
page, which navigates only when the origin changes. Caches are off through DevTools
(``Network.setCacheDisabled``), which also bypasses Chromium's CORS-preflight cache: every
fetch sends its own preflight (tests/test_chromium.py checks this against Max-Age answers), so
no verdict leaks from one item or configuration to the next.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..cases.model import ProbeRequest
from ..errors import ConformanceError
from . import _tls
from .observe import Observation, build_observation
from .origin_proxy import OriginProxy, page_url
from .plan import FetchPlan, plan_fetch

__all__ = ["CHROMIUM", "BrowserError", "BrowserSession", "unavailable"]

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a downloaded browser
# Headless and quiet: no background, component-update, sync or QUIC traffic (the machine's
# network is closed), and no Private/Local Network Access gate: every request goes through
# the loopback proxy anyway, and the suite judges CORS, not the network-access permission.
# Chromium keeps only the last --disable-features, so this list replaces Playwright's own:
# the browser runs with its default features but for these.
FLAGS = (
    "--no-sandbox",  # we run as root
    "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-domain-reliability", "--no-pings",
    "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,"
    "PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,"
    "HttpsUpgrades",  # an http:// page must stay http://, not be upgraded to the TLS page
    "--ignore-certificate-errors",  # the proxy's throw-away certificate for https:// pages
    "--proxy-bypass-list=<-loopback>",  # loopback hosts go through the proxy too
)
_FETCH = """async ([url, init]) => {
  try { const r = await fetch(url, init); return [self.origin, "ok " + r.status]; }
  catch (e) { return [self.origin, "err " + e]; }
}"""
_SETTLE = 2.0  # seconds to wait for DevTools and console events after fetch() settles


class BrowserError(ConformanceError):
    """Chromium or Playwright is missing, or the browser could not start."""


def unavailable(executable: str = CHROMIUM) -> str | None:
    """Why ``--browser chromium`` cannot run here, or None when it can."""
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        return f"{executable} is not installed (Debian: apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install 'oss-cors-conformance[browser]')"
    return None


class BrowserSession:
    """Observe items in one Chromium; start lazily, close once."""

    def __init__(self, executable: str = CHROMIUM, timeout: float = 10.0) -> None:
        self.executable, self.timeout = executable, timeout
        self.proxy: OriginProxy | None = None
        self._pw: Any = None
        self._context: Any = None
        self._page: Any = None
        self._origin: str | None = None
        self._profile: str | None = None
        self._error: BrowserError | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._events: dict[str, Any] = {}
        self._console: list[str] = []
        self.observations = 0
        self.navigations = 0

    def observe(self, req: ProbeRequest, url: str) -> Observation:
        """Run the item's request from a page at its origin, or say why no browser can."""
        plan = plan_fetch(req, url, https_pages=_tls.tls_available())
        if isinstance(plan, str):
            return Observation.not_observed(plan)
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        return self._thread.submit(self._observe, plan, url).result()

    def _observe(self, plan: FetchPlan, url: str) -> Observation:
        """On the session's own thread (see close)."""
        self._ensure_started()
        assert self.proxy is not None
        self._goto(plan.origin)
        self.proxy.begin(url, forward_actual=plan.stage == "actual")
        self._console.clear()
        self._events = {"id": None, "done": False, "cors": None}
        origin, result = self._page.evaluate(_FETCH, [url, plan.init()])
        if origin != plan.origin:  # the page is checked in the same round trip as the fetch
            self._origin = None
            raise BrowserError(f"the page loaded for {plan.origin!r} has origin {origin!r}")
        self._settle(result)
        self.observations += 1
        return build_observation(plan, self.proxy.relayed(), result, list(self._console),
                                 self._events["cors"])

    # -- lifecycle -------------------------------------------------------------------------
    def _ensure_started(self) -> None:
        if self._error is not None:
            raise self._error
        if self._page is not None:
            return
        why = unavailable(self.executable)
        try:
            if why:
                raise BrowserError(f"--browser chromium: {why}")
            self._start()
        except Exception as exc:
            self._stop()
            self._error = exc if isinstance(exc, BrowserError) else BrowserError(
                f"Chromium did not start: {exc}".splitlines()[0])
            raise self._error from None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        tls = _tls.server_context() if _tls.tls_available() else None
        self.proxy = OriginProxy(tls, timeout=self.timeout)
        self.proxy.start()
        self._profile = tempfile.mkdtemp(prefix="conformance-chromium-")
        self._pw = sync_playwright().start()
        self._context = self._pw.chromium.launch_persistent_context(
            self._profile, executable_path=self.executable, headless=True,
            args=[*FLAGS, f"--proxy-server=http://{self.proxy.address}"],
            timeout=self.timeout * 3000)
        self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
        self._page.set_default_timeout(self.timeout * 1000)
        self._page.on("console", lambda msg: self._console.append(msg.text))
        cdp = self._context.new_cdp_session(self._page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.loadingFailed", self._on_failed)
        cdp.on("Network.loadingFinished", self._on_finished)

    def close(self) -> None:
        """Stop Chromium, Playwright and the proxy; remove the profile. Never raises.

        Playwright's sync API binds to the thread that started it and allows one instance per
        thread, so every call runs on this session's own thread: sessions never collide, and
        an asyncio loop in the caller's thread does not matter.
        """
        if self._thread is not None:
            with contextlib.suppress(Exception):  # a hung browser must not hang the teardown
                self._thread.submit(self._stop).result(timeout=self.timeout * 3)
            self._thread.shutdown(wait=False)
            self._thread = None

    def _stop(self) -> None:
        """On the session's thread: Chromium, Playwright, the proxy, the profile, in order."""
        for step in (lambda: self._context and self._context.close(),
                     lambda: self._pw and self._pw.stop(),
                     lambda: self.proxy and self.proxy.stop()):
            with contextlib.suppress(Exception):  # teardown: one failed step must not stop the rest
                step()
        self._context = self._page = self._pw = self.proxy = None
        self._origin = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # -- one observation -------------------------------------------------------------------
    def _goto(self, origin: str) -> None:
        """Load the page for `origin` unless the page already has it."""
        if self._origin == origin:
            return
        self._origin = None
        self.navigations += 1
        self._page.goto(page_url(origin), wait_until="commit")
        self._origin = origin

    def _settle(self, result: str) -> None:
        """When blocked, wait for DevTools' CORS error and the console's (they trail fetch())."""
        if not result.startswith("err "):
            return  # allowed: nothing more to learn; late events of this fetch are ignored
        deadline = time.monotonic() + _SETTLE
        while time.monotonic() < deadline:
            if self._events["done"] and any("CORS policy" in m for m in self._console):
                return
            self._page.wait_for_timeout(2)  # lets Playwright dispatch pending events

    def _on_request(self, event: dict) -> None:
        initiator = event.get("initiator", {}).get("type")
        if self._events.get("id") is None and initiator == "script":
            self._events["id"] = event.get("requestId")

    def _on_failed(self, event: dict) -> None:
        if event.get("requestId") != self._events.get("id"):
            return
        status = event.get("corsErrorStatus") or {}
        if status.get("corsError"):
            param = status.get("failedParameter")
            self._events["cors"] = status["corsError"] + (f"({param})" if param else "")
        self._events["done"] = True

    def _on_finished(self, event: dict) -> None:
        if event.get("requestId") == self._events.get("id"):
            self._events["done"] = True
