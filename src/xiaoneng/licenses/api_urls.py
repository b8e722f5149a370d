"""E-license API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.licenses import api

urlpatterns: list[URLPattern | URLResolver] = [
    # verify/ first: an identifier never reads "verify", but the detail route would match it.
    path("licenses/verify/", api.LicenseVerifyApi.as_view(), name="licenses-api-verify"),
    path("licenses/<str:identifier>/", api.LicenseDetailApi.as_view(), name="licenses-api-detail"),
]
