"""Printable QR posters for a liaison station or a deputy (一站一码、一人一码; DESIGN.md §1, §7).

A poster is a portrait PNG (1240×1748 px: A4 at 150 dpi, A5 at 212 dpi) with a red header band
holding the title (``东岭片区人大代表联络站`` or ``莫小兰 代表``) and a subtitle, the QR code of a
link in the middle (error correction M, the 4-module quiet zone kept, integer pixels per module
so every module prints sharp), the link in small print under it, and a footer line.

Chinese text needs a CJK font. Unless one is given (``font_path=``, or the environment variable
``GRID_INTAKE_POSTER_FONT``), the font comes from the ``pylopdf-fonts-zh-cn`` package (Noto Sans
SC, SIL OFL 1.1), else ``manimgx-fonts-cjk`` (Noto Sans CJK), else a system CJK font. Nothing is
downloaded at run time. When no font can draw every character of the poster,
:func:`render_poster` raises :class:`PosterFontError` instead of printing boxes (tofu).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "DPI",
    "FONT_ENV",
    "SIZE",
    "Poster",
    "PosterFont",
    "PosterFontError",
    "QrPlacement",
    "find_font",
    "missing_glyphs",
    "poster_filename",
    "qr_placement",
    "render_poster",
    "save_poster",
]

FONT_ENV = "GRID_INTAKE_POSTER_FONT"
SIZE = (1240, 1748)
DPI = 150
QR_BORDER = 4  # modules of quiet zone on each side, as ISO/IEC 18004 asks

_FIX_HINT = (
    "install the CJK font package (pip install pylopdf-fonts-zh-cn), "
    f"or set {FONT_ENV} to a .ttf/.otf/.ttc font with Chinese glyphs "
    "(e.g. Debian's fonts-noto-cjk: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)"
)

_RED = (190, 22, 34)
_GOLD = (255, 226, 160)
_WHITE = (255, 255, 255)
_INK = (34, 34, 34)
_GREY = (96, 96, 96)
_MARGIN = 90
# Fonts are cached and shared, and one FreeType face must not draw in two threads at once.
_FREETYPE = threading.RLock()
_PROBE = "中文联络站代表"  # must all draw for a font to count as CJK-capable
_NOT_A_CHARACTER = "\U0010fffd"  # private use, plane 16: mapped by no font, so it draws .notdef

# (module, file inside it) of packages that ship a CJK font, best first.
_PACKAGED_FONTS = (
    ("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf"),
    ("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc"),
)
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


class PosterFontError(RuntimeError):
    """No usable CJK font, or the chosen font lacks glyphs for some characters of the poster."""


@dataclass(frozen=True)
class Poster:
    """What one poster says.

    ``title``: the station's name or ``<name> 代表``; ``subtitle``: a call to action or the
    county; ``link``: what the QR code encodes (a deep link or a WeChat parametric QR URL), also
    printed under it; ``footer``: the issuing office. ``subtitle`` and ``footer`` may be empty.
    ``details``: lines under the code for people who cannot scan (address, reception hours,
    phone, the deputies' names); ``also``: further, smaller codes ``(label, link)`` after the
    main one (the main code comes first: WeChat in mainland China).
    """

    title: str
    subtitle: str
    link: str
    footer: str
    details: tuple[str, ...] = ()
    also: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a poster needs a title")
        if not self.link.strip() or self.link != self.link.strip():
            raise ValueError(f"a poster needs a link without surrounding spaces: {self.link!r}")


@dataclass(frozen=True)
class QrPlacement:
    """Where the QR code sits on the poster: ``matrix`` (quiet zone included, True = dark) is
    drawn with its top-left corner at (``left``, ``top``), ``box_size`` pixels per module."""

    left: int
    top: int
    box_size: int
    matrix: tuple[tuple[bool, ...], ...] = field(repr=False)

    @property
    def side(self) -> int:
        """Width and height in pixels, quiet zone included."""
        return len(self.matrix) * self.box_size


@dataclass(frozen=True)
class PosterFont:
    """A font file and, in a collection (.ttc/.otc), the index of the face to use."""

    path: Path
    index: int = 0


def render_poster(
    poster: Poster, *, font_path: str | os.PathLike[str] | None = None
) -> Image.Image:
    """Draw ``poster`` as an RGB image of :data:`SIZE`.

    The font is ``font_path``, else ``$GRID_INTAKE_POSTER_FONT``, else a packaged or system CJK
    font (see :func:`find_font`). Raises :class:`PosterFontError` when the font cannot draw every
    character, and :class:`ValueError` when the link is too long for a printable QR code.
    """
    with _FREETYPE:
        return _render(poster, find_font(font_path))


def _render(poster: Poster, font: PosterFont) -> Image.Image:
    missing = missing_glyphs(font.path, _poster_text(poster), index=font.index)
    if missing:
        raise PosterFontError(
            f"the font {font.path} has no glyph for {''.join(missing)!r}: pass font_path= or "
            f"set {FONT_ENV} to a font that has them, or change the text"
        )
    layout = _layout(poster, font)
    width, height = SIZE
    image = Image.new("RGB", SIZE, _WHITE)
    draw = ImageDraw.Draw(image)

    draw.rectangle((0, 0, width, layout.header_bottom), fill=_RED)
    qr = layout.qr
    image.paste(_qr_image(qr), (qr.left, qr.top))
    for small in layout.also:
        image.paste(_qr_image(small), (small.left, small.top))
    for block in layout.blocks:
        _draw_block(draw, block)
    if poster.footer.strip():
        rule = layout.footer_rule
        draw.rectangle((_MARGIN, rule, width - _MARGIN, rule + 3), fill=_RED)
    draw.rectangle((0, height - 24, width, height), fill=_RED)
    return image


def save_poster(
    poster: Poster, path: str | os.PathLike[str], *, font_path: str | os.PathLike[str] | None = None
) -> Path:
    """Render ``poster`` and write it to ``path`` as PNG (with :data:`DPI` recorded); returns the
    path. Missing parent folders are created."""
    target = Path(path)
    image = render_poster(poster, font_path=font_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, format="PNG", dpi=(DPI, DPI), optimize=True)
    return target


def qr_placement(poster: Poster, *, font_path: str | os.PathLike[str] | None = None) -> QrPlacement:
    """Where :func:`render_poster` puts the QR code of ``poster`` (the layout depends on how many
    lines the texts take, so on the font)."""
    with _FREETYPE:
        return _layout(poster, find_font(font_path)).qr


_SAFE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}


def poster_filename(code: str) -> str:
    """A file name for the poster of the station or deputy ``code``: ``"ST-DL"`` → ``"ST-DL.png"``.

    Only ASCII letters, digits, ``-`` and ``_`` are kept, no leading ``-``, at most 64 of them.
    When anything had to change (``"东岭/1"``, ``"../x"``, ``"CON"``), a short hash of the code is
    appended so that different codes never share a file name.
    """
    if not code or not code.strip():
        raise ValueError("a poster file name needs a non-empty code")
    stem = _SAFE_CHARS.sub("_", code).lstrip("-_")[:64]
    if stem != code or stem.upper() in _WINDOWS_RESERVED:
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:8]
        stem = f"{stem[:55]}-{digest}" if stem else digest
    return f"{stem}.png"


def find_font(font_path: str | os.PathLike[str] | None = None) -> PosterFont:
    """The font to draw with: ``font_path``, else ``$GRID_INTAKE_POSTER_FONT``, else the first
    packaged or system font that can draw Chinese.

    A font that is named explicitly must exist and draw Chinese; it is never silently replaced.
    In a collection (.ttc/.otc) the Simplified Chinese face is preferred. Raises
    :class:`PosterFontError` saying how to fix it.
    """
    with _FREETYPE:
        return _find_font(font_path)


def _find_font(font_path: str | os.PathLike[str] | None) -> PosterFont:
    explicit = font_path if font_path is not None else os.environ.get(FONT_ENV) or None
    if explicit is not None:
        path = Path(explicit)
        where = "font_path" if font_path is not None else FONT_ENV
        if not path.is_file():
            raise PosterFontError(f"{where} names no font file: {path}; {_FIX_HINT}")
        try:
            font = _cjk_capable(path)
        except OSError as error:
            raise PosterFontError(
                f"{where} is not a font Pillow can read: {path} ({error})"
            ) from None
        if font is None:
            raise PosterFontError(f"{where} {path} cannot draw Chinese characters; {_FIX_HINT}")
        return font
    for candidate in _candidates():
        try:
            font = _cjk_capable(candidate)
        except OSError:
            continue
        if font is not None:
            return font
    raise PosterFontError(f"no font that can draw Chinese was found; {_FIX_HINT}")


def missing_glyphs(path: str | os.PathLike[str], text: str, *, index: int = 0) -> list[str]:
    """The characters of ``text`` (in order, once each) that the font draws as its .notdef glyph
    (a box, "tofu") or not at all. Spaces and control or format characters are not checked."""
    with _FREETYPE:
        font = _font(Path(path), index, 40)
        return _missing(font, text)


def _missing(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    notdef = _bitmap(font, _NOT_A_CHARACTER)
    seen: dict[str, None] = {}
    for char in text:
        if unicodedata.category(char)[0] in "ZC" or char in seen:
            continue
        seen[char] = None
    return [c for c in seen if (bitmap := _bitmap(font, c)) == notdef or not any(bitmap[1])]


# --- fonts -----------------------------------------------------------------------------------


def _candidates() -> Iterator[Path]:
    for module_name, file_name in _PACKAGED_FONTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if module.__file__:
            path = Path(module.__file__).parent / file_name
            if path.is_file():
                yield path
    for name in _SYSTEM_FONTS:
        path = Path(name)
        if path.is_file():
            yield path


@functools.lru_cache(maxsize=16)
def _cjk_capable(path: Path) -> PosterFont | None:
    """``path`` with its best face if that face draws Chinese, else None (OSError if unreadable)."""
    faces = _faces(path)
    faces.sort(key=lambda face: _face_rank(face[1]))
    for index, _name in faces:
        if not missing_glyphs(path, _PROBE, index=index):
            return PosterFont(path, index)
    return None


def _faces(path: Path) -> list[tuple[int, str]]:
    """(index, family name) of each face of a font file or collection."""
    faces = [(0, " ".join(_font(path, 0, 12).getname()))]
    if path.suffix.lower() in (".ttc", ".otc"):
        for index in range(1, 64):
            try:
                faces.append((index, " ".join(_font(path, index, 12).getname())))
            except OSError:
                break
    return faces


def _face_rank(name: str) -> int:
    """Simplified Chinese faces first, then Chinese ones, then the rest in file order."""
    if re.search(r"\b(SC|CN|GB|Hans)\b", name):
        return 0
    if re.search(r"\b(TC|HK|Hant)\b|Hei|Song|Ming|WenQuanYi|PingFang|YaHei", name):
        return 1
    return 2


@functools.lru_cache(maxsize=64)
def _font(path: Path, index: int, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(path), size, index=index)
    # A variable font (Noto Sans CJK VF) has named instances, and defaults to its lightest one.
    if _is_variable(font):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            font.set_variation_by_name("Bold" if bold else "Regular")
    return font


def _is_variable(font: ImageFont.FreeTypeFont) -> bool:
    try:
        return bool(font.get_variation_names())
    except (OSError, AttributeError):
        return False


def _bitmap(font: ImageFont.FreeTypeFont, text: str) -> tuple[tuple[int, int], bytes]:
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255)
    return image.size, image.tobytes()


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    lines: tuple[str, ...]
    font: ImageFont.FreeTypeFont
    top: int
    line_height: int
    fill: tuple[int, int, int]
    stroke: int = 0
    centre: int | None = None  # horizontal centre; None: the page's


@dataclass(frozen=True)
class _Layout:
    header_bottom: int
    footer_rule: int
    blocks: tuple[_Block, ...]
    qr: QrPlacement
    also: tuple[QrPlacement, ...] = ()


def _poster_text(poster: Poster) -> str:
    extra = "".join(poster.details) + "".join(label for label, _ in poster.also)
    return poster.title + poster.subtitle + poster.link + poster.footer + extra


_ALSO_SIDE = 250  # pixels of each further code, quiet zone included (≥ 1.3 mm a module)


def _layout(poster: Poster, font: PosterFont) -> _Layout:
    width, height = SIZE
    text_width = width - 2 * _MARGIN
    blocks: list[_Block] = []

    y = 110
    title = _fit(poster.title, font, text_width, sizes=(96, 60), bold=True, max_lines=2)
    blocks.append(_block(title, y, _WHITE, bold=True))
    y += len(title[0]) * title[2]
    if poster.subtitle.strip():
        y += 14
        subtitle = _fit(poster.subtitle, font, text_width, sizes=(50, 34), max_lines=2)
        blocks.append(_block(subtitle, y, _GOLD))
        y += len(subtitle[0]) * subtitle[2]
    header_bottom = y + 80

    footer_bottom = height - 24 - 60
    footer_top = footer_bottom
    if poster.footer.strip():
        footer = _fit(poster.footer, font, text_width, sizes=(40, 28), max_lines=2)
        footer_top = footer_bottom - len(footer[0]) * footer[2]
        blocks.append(_block(footer, footer_top, _INK))
    footer_rule = footer_top - 40
    bottom = footer_rule - 20  # what is free above the footer, filled from the bottom up

    for detail in reversed(poster.details):
        fitted = _fit(detail, font, text_width, sizes=(34, 26), max_lines=2)
        bottom -= len(fitted[0]) * fitted[2]
        blocks.append(_block(fitted, bottom, _INK))
    also: list[QrPlacement] = []
    if poster.also:
        labels = [
            _fit(label, font, _ALSO_SIDE + 80, sizes=(28, 22), max_lines=2)
            for label, _ in poster.also
        ]
        label_height = max(len(f[0]) * f[2] for f in labels)
        bottom -= 20 + label_height
        gap = (width - len(poster.also) * _ALSO_SIDE) // (len(poster.also) + 1)
        for index, ((_label, target), fitted) in enumerate(zip(poster.also, labels, strict=True)):
            matrix_small = _qr_matrix(target)
            box = _ALSO_SIDE // len(matrix_small)
            if box < 3:
                raise ValueError(f"the link is too long for a small QR code: {target!r}")
            side_small = box * len(matrix_small)
            left = gap + index * (_ALSO_SIDE + gap) + (_ALSO_SIDE - side_small) // 2
            also.append(QrPlacement(left, bottom - side_small, box, matrix_small))
            blocks.append(_centred_at(fitted, bottom, left + side_small // 2))
        bottom -= _ALSO_SIDE + 10

    link = _fit(poster.link, font, text_width, sizes=(30, 24), max_lines=3, wrap_anywhere=True)
    link_height = len(link[0]) * link[2]
    # The QR code's white quiet zone is the space between it, the header and the link.
    space_top = header_bottom + 20
    space_bottom = bottom - 30 if poster.details or poster.also else footer_rule - 50
    qr_room = min(width - 2 * (_MARGIN - 40), space_bottom - space_top - link_height)

    matrix = _qr_matrix(poster.link)
    box_size = qr_room // len(matrix)
    if box_size < 4:
        raise ValueError(f"the link is too long for a printable QR code: {poster.link!r}")
    side = box_size * len(matrix)
    # Code and link centred as one group in the free space; nothing enters the quiet zone.
    group_top = space_top + (space_bottom - space_top - side - link_height) // 2
    placement = QrPlacement((width - side) // 2, group_top, box_size, matrix)
    link_top = group_top + side
    blocks.append(_block(link, link_top, _GREY))
    return _Layout(header_bottom, footer_rule, tuple(blocks), placement, tuple(also))


_Fitted = tuple[tuple[str, ...], ImageFont.FreeTypeFont, int, int]  # lines, font, height, stroke


def _fit(
    text: str,
    font: PosterFont,
    max_width: int,
    *,
    sizes: tuple[int, int],
    bold: bool = False,
    max_lines: int,
    wrap_anywhere: bool = False,
) -> _Fitted:
    """The largest size in ``sizes`` (largest, smallest) at which ``text`` fits ``max_width`` on
    one line; else the smallest, wrapped over up to ``max_lines`` lines (longer text shrinks)."""
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -2):
        face, stroke = _styled(font, size, bold)
        if _width(face, text, stroke) <= max_width:
            return (text,), face, _line_height(face), stroke
    size = smallest
    while True:
        face, stroke = _styled(font, size, bold)
        lines = _wrap(text, face, stroke, max_width, wrap_anywhere)
        if len(lines) <= max_lines or size <= 12:
            return tuple(lines), face, _line_height(face), stroke
        size -= 2


def _styled(font: PosterFont, size: int, bold: bool) -> tuple[ImageFont.FreeTypeFont, int]:
    face = _font(font.path, font.index, size, bold)
    # A static regular font gets a stroke of its own colour as a stand-in for bold.
    stroke = max(1, size // 40) if bold and not _is_variable(face) else 0
    return face, stroke


def _width(face: ImageFont.FreeTypeFont, text: str, stroke: int) -> float:
    return face.getlength(text) + 2 * stroke


def _line_height(face: ImageFont.FreeTypeFont) -> int:
    return round(face.size * 1.3)


def _wrap(
    text: str, face: ImageFont.FreeTypeFont, stroke: int, max_width: int, anywhere: bool
) -> list[str]:
    """Greedy wrapping: between words where there are spaces (and ``anywhere`` is False), else
    between any two characters (as Chinese allows)."""
    words = [text] if anywhere else re.findall(r"\S+\s*", text)
    lines: list[str] = []
    line = ""
    for word in words:
        if _width(face, (line + word).rstrip(), stroke) <= max_width:
            line += word
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        for char in word:
            if line and _width(face, (line + char).rstrip(), stroke) > max_width:
                lines.append(line.rstrip())
                line = ""
            line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _block(fitted: _Fitted, top: int, fill: tuple[int, int, int], *, bold: bool = False) -> _Block:
    lines, face, line_height, stroke = fitted
    return _Block(lines, face, top, line_height, fill, stroke if bold else 0)


def _centred_at(fitted: _Fitted, top: int, centre: int) -> _Block:
    lines, face, line_height, _stroke = fitted
    return _Block(lines, face, top, line_height, _GREY, centre=centre)


def _draw_block(draw: ImageDraw.ImageDraw, block: _Block) -> None:
    centre = block.centre if block.centre is not None else SIZE[0] // 2
    for number, line in enumerate(block.lines):
        # Anchor "mm": each line centred in its own line box, whatever the font's metrics.
        y = block.top + number * block.line_height + block.line_height // 2
        draw.text(
            (centre, y),
            line,
            font=block.font,
            fill=block.fill,
            anchor="mm",
            stroke_width=block.stroke,
            stroke_fill=block.fill,
        )


# --- QR --------------------------------------------------------------------------------------


def _qr_matrix(link: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(link)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _qr_image(placement: QrPlacement) -> Image.Image:
    modules = len(placement.matrix)
    image = Image.new("L", (modules, modules), 255)
    image.putdata([0 if dark else 255 for row in placement.matrix for dark in row])
    side = placement.side
    return image.resize((side, side), Image.Resampling.NEAREST).convert("RGB")
