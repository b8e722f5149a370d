"""Hotline staff API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.hotline import api, api_knowledge, api_routing

_ACTIONS = [
    ("close-not-accepted", api.TicketCloseNotAcceptedApi),
    ("answer-directly", api.TicketAnswerDirectlyApi),
    ("dispatch", api.TicketDispatchApi),
    ("accept", api.TicketAcceptApi),
    ("return", api.TicketReturnApi),
    ("reply", api.TicketReplyApi),
    ("return-visit", api.TicketReturnVisitApi),
    ("merge", api.TicketMergeApi),
    ("split", api.TicketSplitApi),
    ("escalate", api.TicketEscalateApi),
    ("attachments", api.TicketAttachmentsApi),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("hotline/kpis/", api.HotlineKpisApi.as_view(), name="hotline-api-kpis"),
    path("hotline/tickets/", api.TicketListApi.as_view(), name="hotline-api-ticket-list"),
    path(
        "hotline/tickets/<int:pk>/",
        api.TicketDetailApi.as_view(),
        name="hotline-api-ticket-detail",
    ),
    *[
        path(
            f"hotline/tickets/<int:pk>/{slug}/",
            view.as_view(),
            name=f"hotline-api-ticket-{slug}",
        )
        for slug, view in _ACTIONS
    ],
    *api_knowledge.urlpatterns,
    *api_routing.urlpatterns,
]
