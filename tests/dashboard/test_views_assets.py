"""ECharts is served by the platform from node_modules/ (pinned in package-lock.json), no CDN.

ARCHITECTURE.md §4: "every asset served locally (government intranets have no internet)".
`make install` runs `npm ci`; these tests fail when it has not, on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

from xiaoneng.dashboard.assets import VENDOR_FILES, NodeModulesFinder

REPO = Path(__file__).resolve().parents[2]


def test_echarts_is_pinned_in_package_json_and_its_lock():
    """package.json pins echarts 5.6.0 exactly, and the lock file resolves that version."""
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert package["dependencies"]["echarts"] == "5.6.0"
    assert lock["packages"]["node_modules/echarts"]["version"] == "5.6.0"
    assert lock["packages"]["node_modules/echarts"]["integrity"].startswith("sha512-")


def test_the_static_url_finds_the_installed_file():
    """{% static 'vendor/echarts/echarts.min.js' %} resolves to node_modules' build of 5.6.0."""
    found = finders.find("vendor/echarts/echarts.min.js")
    assert found == str(Path(settings.NODE_MODULES_DIR) / "echarts/dist/echarts.min.js")
    assert 't.version="5.6.0"' in Path(found).read_text(encoding="utf-8")


def test_the_file_is_served_under_static(client):
    """The dev server and WhiteNoise serve it at /static/vendor/echarts/echarts.min.js."""
    response = client.get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert b'version="5.6.0"' in body


def test_only_the_listed_files_are_published():
    """collectstatic gets the minified build and the licence, not the package's 46 MB."""
    listed = sorted(f"{storage.prefix}/{path}" for path, storage in NodeModulesFinder().list(None))
    assert listed == sorted(VENDOR_FILES)


def test_a_missing_install_is_a_system_check_warning(settings, tmp_path):
    """Without node_modules the check says how to install, and the finder finds nothing."""
    settings.NODE_MODULES_DIR = tmp_path
    finder = NodeModulesFinder()
    messages = finder.check()
    assert [m.id for m in messages] == ["xiaoneng.W001"]
    assert "make install" in (messages[0].hint or "")
    assert finder.find("vendor/echarts/echarts.min.js") is None
    assert finder.find("vendor/echarts/echarts.min.js", find_all=True) == []
    assert list(finder.list(None)) == []
