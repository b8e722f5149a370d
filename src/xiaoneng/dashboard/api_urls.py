"""KPI API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.dashboard import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("kpis/", api.KpisApi.as_view(), name="dashboard-api-kpis"),
    path(
        "kpis/departments/", api.DepartmentKpisApi.as_view(), name="dashboard-api-kpis-departments"
    ),
    path(
        "kpis/definitions/", api.KpiDefinitionsApi.as_view(), name="dashboard-api-kpis-definitions"
    ),
    path("ranking/", api.RankingApi.as_view(), name="dashboard-api-ranking"),
]
