"""Defaults and limits for the HCP client, kept in one place."""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "https://api.housecallpro.com"
DEFAULT_ALLOWED_DOMAINS: tuple[str, ...] = ("*.housecallpro.com",)
ALLOWED_DOMAINS_SETTING = "HCP_ALLOWED_DOMAINS"

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_RETRIES = 2
MAX_REDIRECTS = 3

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 30.0
"""Largest Retry-After (seconds) we honour; longer waits give up instead."""

MAX_PAGE_SIZE = 200
DEFAULT_MAX_PAGES = 500
"""iter_all's default bound on pages fetched (a server that never ends cannot loop us)."""
PHONE_SEARCH_PAGE_SIZE = 50

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "testserver"})
"""Hosts that may use plain http; they still must be listed in allowed_domains."""

REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "x-amzn-trace-id")

WEBHOOK_TOLERANCE_SECONDS = 300
