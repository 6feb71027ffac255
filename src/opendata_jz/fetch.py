"""Fetch one release asset over HTTP(S), or copy it from a local release directory.

requests is told not to follow redirects: they are followed here, at most MAX_REDIRECTS of
them, never from https down to http. A body shorter or longer than announced, an HTML page
instead of an asset, a timeout or a stall past DEADLINE are each a `DownloadError`.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import requests

#: (connect, read) seconds; the read timeout bounds each wait for bytes, not the whole body.
TIMEOUT: tuple[float, float] = (10.0, 60.0)
#: Seconds a single asset may take in total, so a server dripping bytes cannot stall forever.
DEADLINE = 600.0
MAX_REDIRECTS = 5
MAX_ASSET_BYTES = 2 * 1024**3
_CHUNK = 64 * 1024


class DownloadError(Exception):
    """The release cannot be fetched (network, not found, bad arguments): exit code 2."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        #: True when the server could not be reached at all, so a cached copy may stand in.
        self.unreachable = unreachable


def redirect_target(current: str, location: str) -> str:
    """The absolute URL a redirect leads to; refuses a downgrade from https and odd schemes."""
    target = urljoin(current, location)
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise DownloadError(f"{current} redirects to {target}, which is not an http(s) URL.")
    if urlsplit(current).scheme.lower() == "https" and scheme == "http":
        raise DownloadError(f"{current} redirects from https down to plain http ({target}).")
    return target


def is_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


def fetch(location: str, target: Path, version: str, *, progress: bool = False) -> None:
    """Copy one asset to `target`, from a URL or a local release directory."""
    if not is_url(location):
        if not Path(location).is_file():
            raise DownloadError(f"Version {version}: no release file at {location}.")
        shutil.copyfile(location, target)
        return
    import requests

    with requests.Session() as session:
        current = location
        for _ in range(MAX_REDIRECTS + 1):
            response = _get(session, current, version)
            with response:
                if response.is_redirect:
                    current = redirect_target(current, response.headers.get("Location", ""))
                    continue
                _check_status(response, current, version)
                _save(response, current, target, version, progress)
                return
    raise DownloadError(
        f"Version {version}: more than {MAX_REDIRECTS} redirects fetching {location}."
    )


def _get(session: requests.Session, url: str, version: str) -> requests.Response:
    import requests

    try:
        return session.get(
            url,
            stream=True,
            allow_redirects=False,  # followed by hand to count them and refuse downgrades
            timeout=TIMEOUT,
            headers={"Accept-Encoding": "identity"},  # so Content-Length counts body bytes
        )
    except requests.Timeout:
        raise DownloadError(
            f"Version {version}: timed out fetching {url}.", unreachable=True
        ) from None
    except requests.RequestException as error:
        reason = type(error).__name__
        raise DownloadError(
            f"Version {version}: cannot reach {url} ({reason}).", unreachable=True
        ) from None


def _check_status(response: requests.Response, url: str, version: str) -> None:
    if response.status_code == 404:
        raise DownloadError(f"Version {version} is not published: {url} was not found (404).")
    if response.status_code != 200:
        raise DownloadError(
            f"Version {version}: {url} answered HTTP {response.status_code} instead of the file."
        )
    asset = url.rsplit("/", 1)[-1]
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type.startswith("text/html") and not asset.endswith((".html", ".htm")):
        raise DownloadError(f"Version {version}: {url} returned an HTML page instead of {asset}.")


def _save(response: requests.Response, url: str, target: Path, version: str, show: bool) -> None:
    """Stream the body to `target`, refusing a body shorter or longer than announced."""
    import requests

    declared = response.headers.get("Content-Length")
    expected = int(declared) if declared and declared.isdigit() else None
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        expected = None  # the length then counts encoded bytes; the hash still decides
    if expected is not None and expected > MAX_ASSET_BYTES:
        raise DownloadError(f"Version {version}: {url} is larger than {MAX_ASSET_BYTES} bytes.")
    meter = _Progress(url.rsplit("/", 1)[-1], expected) if show and sys.stderr.isatty() else None
    started = time.monotonic()
    received = 0
    try:
        with open(target, "wb") as handle:
            for chunk in response.iter_content(_CHUNK):
                received += len(chunk)
                if received > MAX_ASSET_BYTES or time.monotonic() - started > DEADLINE:
                    raise DownloadError(
                        f"Version {version}: {url} is too large or too slow to fetch."
                    )
                handle.write(chunk)
                if meter:
                    meter.update(received)
    except requests.RequestException as error:
        raise DownloadError(
            f"Version {version}: the download of {url} broke off ({type(error).__name__})."
        ) from None
    finally:
        if meter:
            meter.close()
    if expected is not None and received != expected:
        raise DownloadError(
            f"Version {version}: {url} sent {received} of {expected} announced bytes."
        )


class _Progress:
    """A one-line byte counter on stderr, redrawn in place."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label, self.total, self.shown = label, total, -1.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1:
            return
        self.shown = now
        total = f" / {self.total / 1e6:.1f} MB" if self.total else ""
        sys.stderr.write(f"\r{self.label}: {done / 1e6:.1f} MB{total}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
