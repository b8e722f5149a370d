"""Applications API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.applications import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("applications/", api.ApplicationsApi.as_view(), name="applications-api-list"),
    path(
        "applications/walk-ins/",
        api.ApplicationWalkInApi.as_view(),
        name="applications-api-walk-in",
    ),
    path(
        "applications/<str:application_id>/",
        api.ApplicationDetailApi.as_view(),
        name="applications-api-detail",
    ),
    path(
        "applications/<str:application_id>/actions/<str:name>/",
        api.ApplicationActionApi.as_view(),
        name="applications-api-action",
    ),
    path(
        "applications/<str:application_id>/materials/",
        api.ApplicationMaterialUploadApi.as_view(),
        name="applications-api-materials",
    ),
    path(
        "applications/<str:application_id>/materials/<int:material_id>/",
        api.ApplicationMaterialApi.as_view(),
        name="applications-api-material",
    ),
    path(
        "applications/<str:application_id>/materials/<int:material_id>/file",
        api.ApplicationMaterialFileApi.as_view(),
        name="applications-api-material-file",
    ),
    path(
        "applications/<str:application_id>/commitments/",
        api.ApplicationCommitmentApi.as_view(),
        name="applications-api-commitments",
    ),
    path(
        "applications/<str:application_id>/rating/",
        api.ApplicationRatingApi.as_view(),
        name="applications-api-rating",
    ),
]
