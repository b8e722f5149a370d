"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from xiaoneng.demo.selectors import demo_is_built


def platform(request: HttpRequest) -> dict[str, Any]:
    """Whether to show the demo-city banner (synthetic data must always be labelled)."""
    return {"demo_city": demo_is_built()}
