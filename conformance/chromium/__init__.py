"""Browser truth: a real headless Chromium runs each item's request from a page at its origin.

``--browser chromium`` (ini ``conformance_browser``) turns it on. Every item that states a
``browser:`` verdict and whose request a page can make is replayed as ``fetch()`` from a page
whose origin is the case's Origin; what Chromium did (allowed or blocked, whether it sent a
preflight, the console's CORS error) becomes the item's third verdict beside the expected one
(the case) and the computed one (conformance/browser.py).

* :mod:`.plan`: which fetch reproduces an item, or why none can;
* :mod:`.origin_proxy`: how a page gets the case's origin (a loopback proxy), and the wire record;
* :mod:`.observe`: one observation and the suite's prediction of it;
* :mod:`.session`: Chromium's lifecycle (Playwright, Debian's /usr/bin/chromium).
"""

from __future__ import annotations

from .observe import Observation, SuiteBugError
from .plan import FetchPlan, plan_fetch
from .session import CHROMIUM, BrowserError, BrowserSession, unavailable

__all__ = ["CHROMIUM", "BrowserError", "BrowserSession", "FetchPlan", "Observation",
           "SuiteBugError", "plan_fetch", "unavailable"]
