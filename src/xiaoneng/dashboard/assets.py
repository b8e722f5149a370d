"""Browser libraries installed by npm, served as static files by the platform itself.

Government intranets have no internet, so no page loads anything from a CDN
(ARCHITECTURE.md §4): ``package.json`` pins the libraries, ``make install`` runs ``npm ci``
into ``node_modules/``, and this finder publishes the few files pages use under
``/static/vendor/…``. Only the listed files are published, not whole packages: the ECharts
package alone holds 46 MB of builds, source maps and extensions that ``collectstatic`` would
otherwise copy and compress for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core import checks
from django.core.files.storage import FileSystemStorage

# Static path → file inside node_modules/. A page refers to the left-hand side with
# {% static %}; the version is the one pinned in package.json / package-lock.json.
VENDOR_FILES: dict[str, str] = {
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
    "vendor/echarts/LICENSE": "echarts/LICENSE",
}


def node_modules_dir() -> Path:
    """Where ``npm ci`` installed the packages (setting ``NODE_MODULES_DIR``)."""
    return Path(settings.NODE_MODULES_DIR)


class _PrefixedStorage(FileSystemStorage):
    """One package directory, published under ``vendor/<name>/`` (read by collectstatic and
    WhiteNoise through the ``prefix`` attribute, as for a prefixed STATICFILES_DIRS entry)."""

    prefix: str


class NodeModulesFinder(BaseFinder):
    """Finds the files of :data:`VENDOR_FILES` in ``node_modules/``."""

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        missing = [
            static
            for static, source in VENDOR_FILES.items()
            if not (node_modules_dir() / source).is_file()
        ]
        if not missing:
            return []
        return [
            checks.Warning(
                f"Browser libraries are not installed in {node_modules_dir()}: "
                f"{', '.join(missing)} cannot be served, so the dashboard shows its figures "
                "without charts.",
                hint="Run `make install` (it runs `npm ci --omit=dev` from package-lock.json).",
                id="xiaoneng.W001",
            )
        ]

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False) -> str | list[str] | None:
        source = VENDOR_FILES.get(path.replace("\\", "/"))
        found = (
            str(node_modules_dir() / source)
            if source and (node_modules_dir() / source).is_file()
            else None
        )
        if find_all:
            return [found] if found else []
        return found

    def list(
        self, ignore_patterns: Iterable[str] | None
    ) -> Iterator[tuple[str, FileSystemStorage]]:
        for static, source in VENDOR_FILES.items():
            file = node_modules_dir() / source
            if not file.is_file():
                continue
            storage = _PrefixedStorage(location=str(file.parent))
            storage.prefix = static.rsplit("/", 1)[0]
            yield file.name, storage
