"""Ticket attachments: sniffed types, limits, all-or-nothing web submission, download access."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory

from tests.hotline.factories import register
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline.models import Ticket, TicketAttachment, TicketEvent
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views_attachments import attachment_download

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    """A real 1×1 PNG image: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    """An uploaded file as Django hands it to a view."""
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Files go to a fresh MEDIA_ROOT per test."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _stored(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_operator_attaches_a_png_with_its_sniffed_type_and_digest(hotline, settings):
    """The row records name, sniffed type, size, SHA-256; the file sits under hotline/Y/m/."""
    ticket = register(operator=hotline.operator)
    content = png_bytes()
    row = services.ticket_attach(
        actor=hotline.operator, ticket=ticket, upload=upload("现场 13812345678.png", content)
    )
    assert (row.content_type, row.size, row.original_name) == (
        "image/png",
        len(content),
        "现场 13812345678.png",
    )
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.added_by_id == hotline.operator.pk
    assert row.file.name.startswith("hotline/") and row.file.name.endswith(".png")
    assert "13812345678" not in row.file.name  # the stored name is random
    assert [p.read_bytes() for p in _stored(settings)] == [content]
    event = TicketEvent.objects.get(ticket=ticket, action="attach")
    assert (event.from_status, event.to_status) == ("registered", "registered")
    assert "13812345678" not in str(event.data)
    assert AuditEvent.objects.filter(action="hotline.ticket_attach").count() == 1


def test_the_reporter_account_may_attach_others_may_not(hotline):
    """The reporter's own account may add a file; department staff and other citizens not."""
    ticket = register(operator=hotline.operator, reporter=hotline.citizen)
    row = services.ticket_attach(actor=hotline.citizen, ticket=ticket, upload=upload("a.pdf", PDF))
    assert row.content_type == "application/pdf"
    stranger = register(operator=hotline.operator)
    for person in (hotline.window, hotline.citizen, None):
        with pytest.raises(PermissionDenied):
            services.ticket_attach(actor=person, ticket=stranger, upload=upload("b.pdf", PDF))
    assert TicketAttachment.objects.filter(ticket=stranger).count() == 0


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("投诉材料.pdf", HTML, "content is something else"),
        ("photo.pdf", png_bytes(), "holds a PNG document"),
        ("empty.png", b"", "empty"),
    ],
)
def test_disguised_or_empty_files_are_refused(hotline, settings, name, content, says):
    """A web page named .pdf, a PNG named .pdf, an empty file: refused, nothing stored."""
    ticket = register(operator=hotline.operator)
    with pytest.raises(InvalidInput, match=says):
        services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload(name, content))
    assert TicketAttachment.objects.count() == 0 and _stored(settings) == []


def test_oversize_is_refused_by_the_setting(hotline, settings):
    """HOTLINE_UPLOAD_MAX_BYTES caps the size; the message gives both sizes."""
    settings.HOTLINE_UPLOAD_MAX_BYTES = 100
    ticket = register(operator=hotline.operator)
    big = PDF + b"%" * 200
    with pytest.raises(InvalidInput, match=f"{len(big)} bytes; at most 100"):
        services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload("a.pdf", big))
    del settings.HOTLINE_UPLOAD_MAX_BYTES
    assert services.upload_max_bytes() == 10 * 1024 * 1024


def test_a_sixth_file_is_refused_and_removed(hotline, settings):
    """A ticket keeps at most five files; the sixth is refused and its file deleted."""
    ticket = register(operator=hotline.operator)
    for n in range(5):
        services.ticket_attach(
            actor=hotline.operator, ticket=ticket, upload=upload(f"{n}.pdf", PDF)
        )
    with pytest.raises(Conflict, match="at most 5"):
        services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload("6.pdf", PDF))
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 5
    assert len(_stored(settings)) == 5


def test_no_file_is_added_to_a_closed_ticket(hotline):
    """A closed ticket takes no more files (Conflict)."""
    ticket = register(operator=hotline.operator)
    services.ticket_answer_directly(actor=hotline.operator, ticket=ticket, answer="已答复")
    with pytest.raises(Conflict):
        services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload("a.pdf", PDF))


def test_web_submission_with_files_saves_ticket_and_files_together(hotline, settings):
    """An anonymous web request with a PNG and a PDF: one ticket, two rows, two files."""
    ticket = services.ticket_submit_web(
        reporter=None,
        ticket_type="complaint",
        description="路灯不亮",
        attachments=[upload("lamp.png", png_bytes()), upload("letter.pdf", PDF)],
    )
    rows = list(selectors.ticket_attachments(ticket))
    assert [(r.original_name, r.added_by_id) for r in rows] == [
        ("lamp.png", None),
        ("letter.pdf", None),
    ]
    assert len(_stored(settings)) == 2
    assert [
        e for e in TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True)
    ] == [
        "register",
        "attach",
        "attach",
    ]


@pytest.mark.parametrize(
    ("files", "kwargs"),
    [
        ([("ok.png", png_bytes()), ("bad.pdf", HTML)], {}),  # one bad file among good ones
        ([("ok.pdf", PDF)] * 6, {}),  # too many
        ([("ok.png", png_bytes())], {"ticket_type": "gossip"}),  # the ticket itself is refused
    ],
)
def test_web_submission_is_all_or_nothing(hotline, settings, files, kwargs):
    """A bad file, too many files or a bad ticket: no ticket, no row and no file remain."""
    values = {"reporter": None, "ticket_type": "help", "description": "井盖缺失", **kwargs}
    with pytest.raises(InvalidInput):
        services.ticket_submit_web(
            **values, attachments=[upload(name, content) for name, content in files]
        )
    assert Ticket.objects.count() == 0
    assert TicketAttachment.objects.count() == 0
    assert _stored(settings) == []


def _download(user, pk):  # type: ignore[no-untyped-def]
    request = RequestFactory().get(f"/hotline/attachments/{pk}/")
    request.user = user
    return attachment_download(request, pk)


def test_download_serves_the_sniffed_type_as_an_attachment(hotline):
    """Those who see the ticket and its reporter download; the type is the sniffed one."""
    ticket = services.ticket_dispatch(
        actor=hotline.operator,
        ticket=register(operator=hotline.operator, reporter=hotline.citizen),
        department=hotline.department,
    )
    row = services.ticket_attach(
        actor=hotline.operator, ticket=ticket, upload=upload("图.png", png_bytes())
    )
    for person in (hotline.operator, hotline.office, hotline.window, hotline.citizen):
        response = _download(person, row.pk)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]


def test_download_is_404_for_those_who_may_not_see_and_login_for_anonymous(hotline):
    """Another department's head and an unknown id get the same 404; anonymous goes to login."""
    ticket = register(operator=hotline.operator)
    row = services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload("a.pdf", PDF))
    for pk in (row.pk, row.pk + 1000):
        with pytest.raises(Http404):
            _download(hotline.other_head, pk)
        with pytest.raises(NotFound):
            selectors.attachment_for_user(hotline.citizen, pk)
    response = _download(AnonymousUser(), row.pk)
    assert response.status_code == 302 and "login" in response["Location"]


def test_download_of_a_row_whose_file_is_gone_is_404(hotline, settings):
    """A row whose file left the storage answers 404, not a server error."""
    ticket = register(operator=hotline.operator)
    row = services.ticket_attach(actor=hotline.operator, ticket=ticket, upload=upload("a.pdf", PDF))
    row.file.storage.delete(row.file.name)
    with pytest.raises(Http404):
        _download(hotline.operator, row.pk)
