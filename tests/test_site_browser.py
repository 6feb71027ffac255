"""The landing page in a real headless Chromium: it renders from file://, shows the Chinese
text in a real CJK font, fetches nothing, and every link resolves."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from opendata_jz.publish import publish

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium is not installed: install the Debian package chromium (scripts/test.sh "
            "does so when run as root)."
        )
    return found


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    from conftest import ROOT

    out = tmp_path_factory.mktemp("site")
    return publish(ROOT / "datapackage.json", out).release_dir


@pytest.fixture(scope="module")
def page(release: Path):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    requests: list[str] = []
    with sync_playwright() as playwright:
        # Playwright gives the browser a fresh temporary profile of its own.
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto((release / "index.html").as_uri())
            tab.screenshot(path=str(release.parent / "index.png"), full_page=True)
            yield tab, requests, errors
        finally:
            browser.close()


def test_page_renders_its_title_and_sections(page) -> None:
    """The page has its title and every section a reader expects."""
    tab, _, errors = page
    assert "Jinzhou quality infrastructure figures" in tab.title()
    for section in ("downloads", "dictionary", "charts", "table-metrics"):
        assert tab.locator(f"#{section}").is_visible(), section
    assert errors == []


def test_page_fetches_nothing_but_itself(page) -> None:
    """Opening the page requests only its own file: no CDN, no network."""
    _, requests, _ = page
    assert all(url.startswith("file://") for url in requests), requests


def test_chinese_text_is_drawn_with_a_cjk_font(page) -> None:
    """The Chinese title is drawn with glyphs from a font that has them (not tofu boxes)."""
    tab, _, _ = page
    session = tab.context.new_cdp_session(tab)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    selector = "#charts figcaption span[lang='zh-Hant']"
    found = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": found["nodeId"]})["fonts"]
    cjk = [f for f in fonts if "CJK" in f["familyName"] or "Hei" in f["familyName"]]
    assert cjk, f"no CJK font drew the Chinese text (fonts used: {fonts}); install fonts-noto-cjk"
    assert sum(f["glyphCount"] for f in cjk) >= 2


def test_every_link_resolves(page, release: Path) -> None:
    """Each link points to an element of the page, an asset of the release, or the web."""
    tab, _, _ = page
    hrefs = tab.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert hrefs
    page_url = (release / "index.html").as_uri()
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https"):
            continue
        assert parts.scheme == "file", href
        if href.startswith(page_url + "#"):
            assert tab.locator(f"[id='{unquote(parts.fragment)}']").count() == 1, href
        else:
            assert Path(unquote(parts.path)).is_file(), href


def test_download_table_lists_every_asset_with_its_checksum(page, release: Path) -> None:
    """The download table names every other asset with the SHA-256 that SHA256SUMS gives
    (the page cannot state its own checksum)."""
    tab, _, _ = page
    text = tab.locator("#downloads").inner_text()
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        if name != "index.html":
            assert name in text and digest in text
