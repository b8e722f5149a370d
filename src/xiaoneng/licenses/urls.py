"""Public e-license pages: /licenses/verify/<identifier>/ and /licenses/<identifier>/pdf."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.licenses import views

app_name = "licenses"

urlpatterns: list[URLPattern | URLResolver] = [
    path("licenses/verify/<str:identifier>/", views.verify, name="verify"),
    path("licenses/<str:identifier>/pdf", views.download_pdf, name="pdf"),
    path("licenses/<str:identifier>/revoke/", views.revoke, name="revoke"),
]
