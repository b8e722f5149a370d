"""Take the README's screenshots from a running server (`make run`), with Debian's Chromium.

Usage: .venv/bin/python scripts/readme_screenshots.py [BASE_URL]
Chinese text needs a CJK font on the machine (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 760}, locale="zh-CN")
        page.goto(f"{BASE}/matters/?department=130100001")
        page.screenshot(path=str(OUT / "catalog.png"))
        page.goto(f"{BASE}/matters/?q=住房公积金个人住房贷款")
        page.get_by_role("link", name="住房公积金个人住房贷款").first.click()
        page.locator("#no-longer-needed").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "matter.png"))
        page.goto(f"{BASE}/accounts/login/?next=/office/")
        page.fill("#id_username", "office")
        page.fill("#id_password", "demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{BASE}/office/")
        page.screenshot(path=str(OUT / "office.png"))
        browser.close()


if __name__ == "__main__":
    main()
