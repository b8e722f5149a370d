"""The result PDF: A4, Chinese text in an embedded font subset, a QR code to the verify URL."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from tests.licenses.factories import issue_license
from xiaoneng.licenses import crypto, pdf, selectors, services
from xiaoneng.licenses.models import License

pytestmark = pytest.mark.django_db


@pytest.fixture
def license_and_pdf():  # type: ignore[no-untyped-def]
    license = issue_license(holder_name="欧阳娜娜", department=None)
    return license, services.license_pdf(license)


def _fonts(reader: PdfReader) -> list:  # type: ignore[type-arg]
    return [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]


def test_the_pdf_is_one_a4_page_with_the_licenses_metadata(license_and_pdf):
    """One A4 page; Keywords name the identifier and the SM3 digest."""
    license, content = license_and_pdf
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    claims = pdf.parse_keywords(str(reader.metadata["/Keywords"]))
    assert claims == {"identifier": license.identifier, "sm3": license.content_digest}


def test_the_chinese_text_extracts_with_the_holder_code_masked(license_and_pdf):
    """Department, matter, result, holder, dates, identifier come out as text; no full ID."""
    license, content = license_and_pdf
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for expected in [
        "电子证照",
        license.department_name,
        "食品经营许可（新办）",
        license.result_name,
        "欧阳娜娜",
        "110101********1234",
        "2025年3月5日",
        "2030年3月4日",
        license.identifier,
        license.content_digest,
    ]:
        assert expected in text, expected
    assert license.holder_code not in text


def test_every_font_is_embedded_as_a_truetype_subset(license_and_pdf):
    """Only our Noto Sans SC subset is used, embedded (FontFile2); no unembedded base font."""
    _license, content = license_and_pdf
    fonts = _fonts(PdfReader(io.BytesIO(content)))
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/TrueType"
        name = str(font["/BaseFont"])
        assert "+" in name and "NotoSansSC" in name  # a subset: tag + name
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor


def test_the_verify_url_is_printed_linked_and_in_the_qr_code(license_and_pdf):
    """The URL is on the page as text, as a link, and the QR code decodes to it."""
    license, content = license_and_pdf
    url = selectors.license_verify_url(license.identifier)
    reader = PdfReader(io.BytesIO(content))
    assert url in reader.pages[0].extract_text()
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0]["/Annots"]]
    assert url in links
    image = pypdfium2.PdfDocument(content)[0].render(scale=3).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]


def test_the_verify_url_uses_the_configured_public_address(settings):
    """XIAONENG_PUBLIC_URL decides the host printed on documents."""
    settings.XIAONENG_PUBLIC_URL = "https://zwfw.example.gov.cn/"
    assert selectors.license_verify_url("1.2.3") == (
        "https://zwfw.example.gov.cn/licenses/verify/1.2.3/"
    )


def test_rendering_is_deterministic():
    """The same license renders to the same bytes (copies are checked by their SM3)."""
    license = issue_license()
    data = services._document_data(license)
    assert pdf.render(data) == pdf.render(data)


def test_characters_missing_from_the_font_do_not_stop_the_document(caplog):
    """A rare character outside Noto Sans SC is logged and drawn as a box, not an error."""
    license = issue_license(holder_name="王𠮷")
    content = services.license_pdf(license)
    assert content.startswith(b"%PDF-")
    assert "no glyph for 1 character" in caplog.text


def test_the_pdf_is_made_after_commit_and_stored_under_media_licenses(
    django_capture_on_commit_callbacks, settings
):
    """Issuing queues the PDF task at commit; the file lands in MEDIA_ROOT/licenses/."""
    with django_capture_on_commit_callbacks(execute=True):
        license = issue_license()
    license.refresh_from_db()
    assert license.pdf.name.startswith("licenses/") and license.pdf.name.endswith(".pdf")
    assert license.identifier not in license.pdf.name
    path = Path(settings.MEDIA_ROOT) / license.pdf.name
    assert path.is_file()
    assert crypto.sm3_hex(path.read_bytes()) == license.pdf_digest


def test_a_missing_pdf_is_made_on_demand():
    """Before the task has run (or after the file was lost) license_pdf makes it."""
    license = issue_license()
    assert not license.pdf
    content = services.license_pdf(license)
    license.refresh_from_db()
    assert license.pdf and license.pdf_digest == crypto.sm3_hex(content)
    Path(license.pdf.path).unlink()
    assert services.license_pdf(license) == content


def test_a_stored_pdf_changed_on_disk_is_replaced_not_served():
    """A file that no longer matches its recorded SM3 is rendered again."""
    license = issue_license()
    original = services.license_pdf(license)
    license.refresh_from_db()
    Path(license.pdf.path).write_bytes(b"%PDF-1.4 tampered")
    assert services.license_pdf(License.objects.get(pk=license.pk)) == original


def test_rendering_twice_keeps_one_file():
    """license_pdf_store on a license whose PDF is fine does not render again."""
    license = issue_license()
    first = services.license_pdf_store(license_id=license.pk)
    second = services.license_pdf_store(license_id=license.pk)
    assert first.pdf.name == second.pdf.name


def test_documents_rendered_one_after_another_each_carry_their_own_glyphs():
    """A later document never reuses an earlier document's font subset (reportlab shares font
    objects by face name): its own characters all extract."""
    first = issue_license(holder_name="赵钱孙")
    second = issue_license(holder_name="周吴郑王", result_name="药品经营许可证")
    for license in (first, second):
        text = PdfReader(io.BytesIO(services.license_pdf(license))).pages[0].extract_text()
        assert license.identifier in text and license.holder_name in text
        assert "\x00" not in text
