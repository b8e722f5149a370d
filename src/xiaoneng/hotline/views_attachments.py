"""Download of a ticket's attachment (`/hotline/attachments/<pk>/`, name ``hotline:attachment``).

Who may download is decided by one selector,
:func:`~xiaoneng.hotline.selectors.tickets.attachment_for_user`: those who see the ticket and
the reporter's own account; anyone else gets the 404 a missing file gets.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from xiaoneng.core.errors import NotFound
from xiaoneng.hotline.selectors.tickets import attachment_for_user


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file as uploaded, with the type sniffed at upload, always as a download."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        row = attachment_for_user(request.user, pk)
    except NotFound as error:
        raise Http404(error.message) from None
    try:
        stream = row.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (restored database, cleaned storage): say so, not 500.
        raise Http404(row.original_name) from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=row.original_name or row.file.name.rsplit("/", 1)[-1],
        content_type=row.content_type or "application/octet-stream",
    )
    # Never rendered by the browser as a page, whatever it holds.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
