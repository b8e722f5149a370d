"""Calendar API under /api/v1/: coverage, and working-day arithmetic."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.calendars.api import CalendarCoverageApi, WorkdaysApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendar/", CalendarCoverageApi.as_view(), name="calendar-coverage"),
    path("calendar/workdays/", WorkdaysApi.as_view(), name="calendar-workdays"),
]
