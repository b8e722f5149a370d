"""URL map: public portal at /, staff workbench at /staff/, efficiency office at /office/,
REST API under /api/v1/ with its schema at /api/schema/, admin at /admin/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("", include("xiaoneng.accounts.api_urls")),
    path("", include("xiaoneng.catalog.api_urls")),
    path("", include("xiaoneng.calendars.api_urls")),
    path("", include("xiaoneng.applications.api_urls")),
    path("", include("xiaoneng.licenses.api_urls")),
    path("", include("xiaoneng.notifications.api_urls")),
    path("", include("xiaoneng.ratings.api_urls")),
    path("", include("xiaoneng.supervision.api_urls")),
    path("", include("xiaoneng.dashboard.api_urls")),
    path("", include("xiaoneng.hotline.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("office/", include("xiaoneng.supervision.urls")),
    path("office/", include("xiaoneng.dashboard.urls")),
    path("open311/v2/", include("xiaoneng.hotline.open311.urls")),
    path("hotline/", include("xiaoneng.hotline.urls")),
    path("", include("xiaoneng.accounts.urls")),
    path("", include("xiaoneng.applications.urls")),
    path("", include("xiaoneng.licenses.urls")),
    path("", include("xiaoneng.notifications.urls")),
    path("", include("xiaoneng.ratings.urls")),
    path("", include("xiaoneng.catalog.urls")),
    path("", include("xiaoneng.portal.urls")),
]
