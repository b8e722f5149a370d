"""Background work of the licenses room, queued after the issuing transaction commits."""

from __future__ import annotations

from django_tasks import task

from xiaoneng.licenses import services


@task()
def license_pdf_generate(license_id: int) -> str:
    """Render and store a license's result PDF; returns the stored file's name.

    A download that comes before this task has run makes the PDF itself
    (:func:`~xiaoneng.licenses.services.license_pdf`); whichever runs second finds it made.
    """
    return services.license_pdf_store(license_id=license_id).pdf.name
