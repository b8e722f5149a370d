"""Portal pages that belong to no single room: the home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The public home page: search the catalog, or go straight to a common list."""
    return render(request, "portal/home.html")
