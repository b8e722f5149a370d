"""The result document: an A4 PDF in Chinese with an embedded font subset and a QR code.

Font (docs/licenses.md): Noto Sans SC Regular (SIL OFL 1.1) from the PyPI package
``pylopdf-fonts-zh-cn``. reportlab embeds only TrueType (``glyf``) fonts and Noto Sans SC has
CFF outlines, so each document takes a subset of just the characters it shows (fontTools) and
converts that subset's outlines to TrueType quadratics (cu2qu) — a few kilobytes, embedded as
``FontFile2``. Subsetting first keeps this to a fraction of a second; converting the whole font
would take far longer and a file of its own.

The document is an official Chinese document whatever the reader's language, so its labels are
Chinese and not translated. Output is deterministic (reportlab's invariant mode, fixed font
timestamps): the same license renders to the same bytes, which lets a copy be checked against
the stored file's SM3.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as ReportlabTTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)
# fontTools' subsetter reports every table it touches at INFO: a dozen lines per document.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

KEYWORD_PREFIX = "xiaoneng-license"
# reportlab keeps registered fonts in a process-wide table; registering, drawing and removing
# one document's subset must not interleave with another thread doing the same.
_FONT_LOCK = threading.Lock()


@dataclass(frozen=True)
class DocumentData:
    """What the result document shows; personal codes arrive already masked."""

    identifier: str
    department_name: str
    license_type_name: str
    matter_code: str
    matter_name: str
    result_name: str
    holder_name: str
    holder_code_masked: str
    issued_on: dt.date
    valid_until: dt.date | None
    content_digest: str
    signature_fingerprint: str
    seal_fingerprint: str
    verify_url: str


def font_path() -> Path:
    """The Noto Sans SC file shipped by the ``pylopdf-fonts-zh-cn`` package."""
    import pylopdf_fonts_zh_cn  # a data package; imported late so the rest works without it

    return Path(pylopdf_fonts_zh_cn.sans_path())


def keywords(identifier: str, digest: str) -> str:
    """The PDF Keywords entry that lets a copy name its license and sealed digest."""
    return f"{KEYWORD_PREFIX};identifier={identifier};sm3={digest}"


def parse_keywords(text: str) -> dict[str, str]:
    """The identifier and digest from a Keywords entry written by :func:`keywords`."""
    parts = [p.strip() for p in text.split(";")]
    if not parts or parts[0] != KEYWORD_PREFIX:
        return {}
    found: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if sep and key in {"identifier", "sm3"}:
            found[key] = value
    return found


def subset_font_bytes(text: str) -> tuple[bytes, set[str]]:
    """A TrueType font holding the glyphs of ``text``, and the characters the font lacks."""
    font = TTFont(str(font_path()), recalcTimestamp=False, lazy=False)
    cmap = font.getBestCmap()
    missing = {c for c in set(text) if ord(c) not in cmap and not c.isspace()}
    options = ft_subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    options.hinting = False
    options.recalc_timestamp = False
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    _cff_to_glyf(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), missing


def _cff_to_glyf(font: TTFont) -> None:
    """Replace CFF (cubic) outlines by TrueType (quadratic) ones, in place."""
    if "CFF " not in font:
        return
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        # CFF contours run counter-clockwise, TrueType ones clockwise: reverse them.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _rows(data: DocumentData) -> list[tuple[str, str]]:
    return [
        ("证照类型", data.license_type_name),
        ("办理结果", data.result_name),
        ("持证主体", data.holder_name),
        ("证件号码", data.holder_code_masked),
        ("办理事项", f"{data.matter_name}（{data.matter_code}）"),
        ("发证机关", data.department_name),
        ("发证日期", _chinese_date(data.issued_on)),
        ("有效期至", _chinese_date(data.valid_until) if data.valid_until else "长期"),
    ]


TITLE = "电子证照"
SUBTITLE = "政务服务办理结果"
QR_CAPTION = "扫码核验真伪"
SEAL_TEXT = "电子印章"
FOOTER_NOTE = (
    "本证照由效能政务服务平台签发，以 SM2 数字签名（SM3 摘要）加盖电子印章，"
    "可扫描二维码或访问上方网址核验。"
)


def _all_text(data: DocumentData) -> str:
    parts = [TITLE, SUBTITLE, QR_CAPTION, SEAL_TEXT, FOOTER_NOTE, data.identifier, data.verify_url]
    parts += [label + value for label, value in _rows(data)]
    parts += [
        "证照标识",
        "核验网址",
        "SM3 摘要",
        "SM2 签名指纹",
        "印章密钥",
        data.content_digest,
        data.signature_fingerprint,
        data.seal_fingerprint,
        "0123456789ABCDEFabcdef:：（）.-/ ",
    ]
    return "".join(parts)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``; Chinese may break between any two
    characters, so a plain character-by-character fill is right here."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = char
        else:
            line += char
    if line:
        lines.append(line)
    return lines or [""]


@contextmanager
def registered_cjk_font(text: str) -> Iterator[str]:
    """Register a Noto Sans SC subset holding ``text`` for the time of one document.

    Yields the registered font name. Every document that draws Chinese text uses this (the
    e-license result here, the dashboard's monthly bulletin), under one process-wide lock.

    Why the lock and the clean-up: reportlab shares one font object per face name, so a face
    left registered by an earlier document would be reused, with that document's subset and
    its glyphs. Each document registers its own subset, and reportlab has no public
    unregister, so the tables are cleaned afterwards; otherwise every subset would also stay
    in memory for good.
    """
    font_bytes, missing = subset_font_bytes(text)
    if missing:
        logger.warning(
            "The font has no glyph for %d character(s); they show as boxes", len(missing)
        )
    font_name = f"XNCJK-{uuid.uuid4().hex}"
    font = ReportlabTTFont(font_name, io.BytesIO(font_bytes))
    face = font.face.name
    with _FONT_LOCK:
        pdfmetrics._dynFaceNames.pop(face, None)
        pdfmetrics.registerFont(font)
        try:
            yield font_name
        finally:
            pdfmetrics._fonts.pop(font_name, None)
            pdfmetrics._dynFaceNames.pop(face, None)


def render(data: DocumentData) -> bytes:
    """The result document of one license, as PDF bytes."""
    with registered_cjk_font(_all_text(data)) as font_name:
        return _draw(data, font_name)


def qr_modules(value: str) -> list[list[bool]]:
    """The dark (True) and light modules of the QR code of ``value``, error correction M."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.make()
    return [[bool(m) for m in row] for row in qr.modules]


def _draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    # Drawn module by module on the canvas rather than through a Drawing, whose renderer
    # would pull an unembedded Helvetica into the document.
    modules = qr_modules(value)
    quiet = 2
    box = size / (len(modules) + 2 * quiet)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(
                x + (start + quiet) * box,
                y + size - (r + quiet + 1) * box,
                (c - start) * box,
                box * 1.02,  # a hair taller, so rows leave no hairline gaps when rasterised
                stroke=0,
                fill=1,
            )


def _draw(data: DocumentData, font: str) -> bytes:
    out = io.BytesIO()
    page_w, page_h = A4
    canvas = Canvas(out, pagesize=A4, invariant=1, initialFontName=font, pageCompression=1)
    canvas.setTitle(f"{data.result_name} {data.identifier}")
    canvas.setAuthor(data.department_name)
    canvas.setSubject(f"电子证照 {data.identifier}")
    canvas.setKeywords(keywords(data.identifier, data.content_digest))
    canvas.setCreator("Xiaoneng")

    left = 25 * mm
    right = page_w - 25 * mm
    width = right - left

    # Frame.
    canvas.setStrokeColor(colors.HexColor("#9b1c1c"))
    canvas.setLineWidth(1.5)
    canvas.rect(15 * mm, 15 * mm, page_w - 30 * mm, page_h - 30 * mm)

    y = page_h - 40 * mm
    canvas.setFillColor(colors.HexColor("#9b1c1c"))
    canvas.setFont(font, 28)
    canvas.drawCentredString(page_w / 2, y, TITLE)
    y -= 10 * mm
    canvas.setFillColor(colors.black)
    canvas.setFont(font, 13)
    canvas.drawCentredString(page_w / 2, y, SUBTITLE)
    y -= 16 * mm

    label_w = 26 * mm
    for label, value in _rows(data):
        canvas.setFont(font, 12)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(left, y, label)
        canvas.setFillColor(colors.black)
        for line in _wrap(value, font, 12, width - label_w):
            canvas.drawString(left + label_w, y, line)
            y -= 7 * mm
        y -= 2 * mm

    # Identifier and verification: the QR code and the same URL as text.
    y -= 4 * mm
    canvas.setFont(font, 10)
    canvas.setFillColor(colors.HexColor("#555555"))
    canvas.drawString(left, y, "证照标识")
    canvas.setFillColor(colors.black)
    canvas.setFont(font, 9)
    for line in _wrap(data.identifier, font, 9, width - label_w):
        canvas.drawString(left + label_w, y, line)
        y -= 5 * mm

    # Where to verify: the URL as text on one line (shrunk to fit), and as a QR code.
    canvas.setFont(font, 10)
    canvas.setFillColor(colors.HexColor("#555555"))
    canvas.drawString(left, 96 * mm, "核验网址")
    canvas.setFillColor(colors.black)
    url_size = min(8.0, width / max(pdfmetrics.stringWidth(data.verify_url, font, 1), 1))
    canvas.setFont(font, url_size)
    canvas.drawString(left, 91 * mm, data.verify_url)

    qr_size = 38 * mm
    qr_x, qr_y = right - qr_size, 44 * mm
    _draw_qr(canvas, data.verify_url, qr_x, qr_y, qr_size)
    canvas.linkURL(data.verify_url, (qr_x, qr_y, qr_x + qr_size, qr_y + qr_size), relative=0)
    canvas.setFont(font, 9)
    canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 4 * mm, QR_CAPTION)

    # The seal mark beside the QR code: a red circle naming the issuing department.
    seal_cx, seal_cy, seal_r = qr_x - 32 * mm, qr_y + qr_size / 2, 17 * mm
    canvas.setStrokeColor(colors.HexColor("#c81e1e"))
    canvas.setFillColor(colors.HexColor("#c81e1e"))
    canvas.setLineWidth(2)
    canvas.circle(seal_cx, seal_cy, seal_r, stroke=1, fill=0)
    canvas.setFont(font, 9)
    seal_lines = _wrap(data.department_name, font, 9, 2 * seal_r - 8 * mm)[:3]
    line_y = seal_cy + 2 * mm + (len(seal_lines) - 1) * 2 * mm
    for line in seal_lines:
        canvas.drawCentredString(seal_cx, line_y, line)
        line_y -= 4 * mm
    canvas.setFont(font, 8)
    canvas.drawCentredString(seal_cx, seal_cy - 10 * mm, SEAL_TEXT)

    # Footer: the seal's digest and fingerprints, and how to check them.
    canvas.setFillColor(colors.black)
    fy = 34 * mm
    canvas.setFont(font, 8)
    canvas.drawString(left, fy, f"SM3 摘要：{data.content_digest}")
    canvas.drawString(left, fy - 4.5 * mm, f"SM2 签名指纹：{data.signature_fingerprint}")
    canvas.drawString(left, fy - 9 * mm, f"印章密钥：{data.seal_fingerprint}")
    canvas.setFillColor(colors.HexColor("#555555"))
    for i, line in enumerate(_wrap(FOOTER_NOTE, font, 8, width)):
        canvas.drawString(left, fy - 14.5 * mm - i * 4 * mm, line)

    canvas.showPage()
    canvas.save()
    return out.getvalue()
