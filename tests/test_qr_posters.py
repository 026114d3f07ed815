"""QR posters: the code scans back to the link, Chinese draws as Chinese, file names are safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont

from office import qr_posters
from office.qr_posters import (
    DPI,
    FONT_ENV,
    SIZE,
    Poster,
    PosterFontError,
    find_font,
    missing_glyphs,
    poster_filename,
    qr_placement,
    render_poster,
    save_poster,
)

STATION = Poster(
    title="东岭片区人大代表联络站",
    subtitle="扫码反映问题 · 人大代表为您办",
    link="https://t.me/GridIntakeBot?start=ST-DL",
    footer="阳朔县人大常委会代表工作委员会",
)
DEPUTY = Poster(
    title="莫小兰 代表",
    subtitle="阳朔县",
    link="https://t.me/GridIntakeBot?start=D001",
    footer="阳朔县人大常委会代表工作委员会",
)


@pytest.fixture(autouse=True)
def _no_font_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)


@pytest.fixture(scope="module")
def station_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_poster(STATION, tmp_path_factory.mktemp("posters") / poster_filename("ST-DL"))


def _expected_matrix(link: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(link)
    code.make(fit=True)
    return code.get_matrix()


def test_png_is_a_portrait_page_with_its_resolution(station_png: Path) -> None:
    with Image.open(station_png) as image:
        assert image.format == "PNG"
        assert image.size == SIZE
        assert image.size[1] > image.size[0]
        assert round(image.info["dpi"][0]) == DPI


def test_qr_modules_appear_pixel_exactly_with_quiet_zone(station_png: Path) -> None:
    matrix = _expected_matrix(STATION.link)
    place = qr_placement(STATION)
    assert [list(row) for row in place.matrix] == matrix
    modules = len(matrix)
    assert place.box_size >= 8  # at 150 dpi: ≥1.3 mm a module, fine for a phone at arm's length
    assert place.side >= SIZE[0] // 2  # large
    assert abs((place.left + place.side / 2) - SIZE[0] / 2) <= 1  # centred

    with Image.open(station_png) as image:
        grey = image.convert("L")
    crop = grey.crop((place.left, place.top, place.left + place.side, place.top + place.side))
    expected = Image.new("L", (modules, modules))
    expected.putdata([0 if dark else 255 for row in matrix for dark in row])
    expected = expected.resize((place.side, place.side), Image.Resampling.NEAREST)
    assert ImageChops.difference(crop, expected).getbbox() is None
    # The 4-module quiet zone (all False in the matrix) is therefore pure white on the poster.
    assert not any(matrix[0]) and not any(row[3] for row in matrix)


def test_png_decodes_back_to_the_link(station_png: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    with Image.open(station_png) as image:
        results = zxingcpp.read_barcodes(image.convert("L"))
    assert [r.text for r in results] == [STATION.link]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].content_type == zxingcpp.ContentType.Text


def test_title_glyphs_are_chinese_not_tofu() -> None:
    font_file = find_font()
    font = ImageFont.truetype(str(font_file.path), 64, index=font_file.index)

    def draw(text: str) -> bytes:
        image = Image.new("L", (96, 96))
        ImageDraw.Draw(image).text((16, 8), text, font=font, fill=255)
        return image.tobytes()

    notdef = draw("\U0010fffd")  # mapped by no font: the font's .notdef box
    for char in dict.fromkeys(re.sub(r"\s", "", STATION.title + DEPUTY.title)):
        glyph = draw(char)
        assert any(glyph), char
        assert glyph != notdef, char
    assert missing_glyphs(font_file.path, STATION.title, index=font_file.index) == []
    # And the checker does see tofu: a CJK Extension B character, not in Noto Sans SC.
    assert missing_glyphs(font_file.path, "东\U00020000", index=font_file.index) == ["\U00020000"]


def test_title_is_drawn_in_the_header(station_png: Path) -> None:
    with Image.open(station_png) as image:
        header = image.convert("RGB").crop((0, 0, SIZE[0], 300))
    colours = {colour for _count, colour in header.getcolors(maxcolors=1 << 16)}
    assert (255, 255, 255) in colours  # white title text on the red band
    assert len(colours) > 10  # anti-aliased glyphs, not a blank band


def test_different_titles_give_different_posters() -> None:
    renamed = Poster("西街片区人大代表联络站", STATION.subtitle, STATION.link, STATION.footer)
    first, second = render_poster(STATION), render_poster(renamed)
    box = ImageChops.difference(first, second).getbbox()
    assert box is not None
    assert box[3] <= qr_placement(STATION).top  # only the header changed: same code, same layout


@pytest.mark.parametrize(
    ("code", "name"), [("ST-DL", "ST-DL.png"), ("D001", "D001.png"), ("G_03", "G_03.png")]
)
def test_file_name_keeps_plain_codes(code: str, name: str) -> None:
    assert poster_filename(code) == name


@pytest.mark.parametrize("code", ["../../etc/passwd", "东岭", "a b", "CON", "-rf", ".", "x" * 300])
def test_file_name_is_safe_for_any_code(code: str) -> None:
    name = poster_filename(code)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.png", name), name
    assert Path(name).name == name


def test_file_names_of_different_codes_differ() -> None:
    codes = ["东岭", "西街", "a/b", "a_b", "a b", "ST-DL", "st-dl"]
    assert len({poster_filename(c) for c in codes}) == len(codes)
    with pytest.raises(ValueError):
        poster_filename("")


def test_poster_needs_title_and_link() -> None:
    with pytest.raises(ValueError):
        Poster("", "s", "https://t.me/x", "f")
    with pytest.raises(ValueError):
        Poster("t", "s", " ", "f")


def test_long_texts_wrap_inside_the_page() -> None:
    poster = Poster(
        title="阳朔镇旅游行业人大代表联络站（漓江保护专题）兴坪片区第二联络点",
        subtitle="",
        link="http://weixin.qq.com/q/02" + "AbCdEfGhIj" * 8,
        footer="",
    )
    image = render_poster(poster)
    place = qr_placement(poster)
    assert image.size == SIZE
    assert place.top + place.side < SIZE[1]
    # The side margins stay white below the header: nothing ran off the page.
    margin = image.crop((0, 600, 20, SIZE[1] - 40)).convert("L")
    assert margin.getextrema() == (255, 255)


def test_explicit_font_must_exist_and_draw_chinese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(PosterFontError, match="font_path names no font file"):
        render_poster(STATION, font_path=tmp_path / "nope.otf")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    monkeypatch.setenv(FONT_ENV, str(junk))
    with pytest.raises(PosterFontError, match=FONT_ENV):
        render_poster(STATION)
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if latin.is_file():
        with pytest.raises(PosterFontError, match="cannot draw Chinese"):
            render_poster(STATION, font_path=latin)


def test_explicit_font_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = find_font()
    monkeypatch.setenv(FONT_ENV, str(chosen.path))
    assert find_font() == chosen
    assert find_font(chosen.path) == chosen


def test_no_cjk_font_at_all_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qr_posters, "_PACKAGED_FONTS", ())
    monkeypatch.setattr(qr_posters, "_SYSTEM_FONTS", ())
    with pytest.raises(PosterFontError, match=r"pip install pylopdf-fonts-zh-cn.*" + FONT_ENV):
        render_poster(DEPUTY)


def test_qr_telegram_command_writes_station_and_all_posters(sqlite_url, tmp_path, capsys):
    from bot.cli import main

    one = tmp_path / "st-dl.png"
    args = ["--db", sqlite_url, "--bot-username", "ys_bot"]
    assert main(["qr", "telegram", "--station", "ST-DL", "-o", str(one), *args]) == 0
    assert one.exists() and capsys.readouterr().out.strip() == str(one)
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    (decoded,) = zxingcpp.read_barcodes(Image.open(one))
    assert decoded.text == "https://t.me/ys_bot?start=ST-DL"
    assert main(["qr", "telegram", "--all", "-o", str(tmp_path / "all"), *args]) == 0
    assert {p.name for p in (tmp_path / "all").iterdir()} >= {"ST-DL.png", "D001.png"}
    assert main(["qr", "telegram", "--deputy", "D999", "-o", str(one), *args]) == 1
    assert "no station or deputy with the code D999" in capsys.readouterr().err


def test_a_station_poster_says_where_to_go_without_the_app(sqlite_url, tmp_path):
    """A rural resident who cannot scan still learns the address, hours and deputies."""
    from bot.bootstrap import open_database
    from office.posters import entry_posters
    from tests.conftest import make_settings

    _engine, sessions = open_database(make_settings(sqlite_url, tmp_path))
    posters = entry_posters(
        sessions,
        lambda scene: f"http://weixin.qq.com/q/{scene}",
        "ST-DL",
        channel="微信",
        also=[("Telegram", lambda scene: f"https://t.me/ys_bot?start={scene}")],
    )
    poster = posters["ST-DL"]
    assert poster.subtitle.startswith("微信扫码")
    assert poster.details == (
        "地址：东岭村村委会一楼",
        "接待时间：每月10日、25日 9:00–12:00 代表接待日",
        "电话：0773-8820101",
        "驻站代表：莫小兰、黎建国、赵桂芬、覃海波、韦宏伟",
    )
    assert poster.link == "http://weixin.qq.com/q/ST-DL"  # WeChat first
    assert poster.also == (("Telegram", "https://t.me/ys_bot?start=ST-DL"),)


def test_the_main_code_comes_first_and_larger_and_every_code_scans(tmp_path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    poster = Poster(
        title="东岭片区人大代表联络站",
        subtitle="微信扫码反映问题 · 人大代表为您办",
        link="http://weixin.qq.com/q/02abcDEF",
        footer="阳朔县人大常委会代表工作委员会",
        details=("地址：东岭村村委会一楼", "驻站代表：莫小兰、黎建国"),
        also=(("Telegram", "https://t.me/ys_bot?start=ST-DL"),),
    )
    path = save_poster(poster, tmp_path / "ST-DL.png")
    with Image.open(path) as image:
        found = {r.text for r in zxingcpp.read_barcodes(image.convert("L"))}
    assert found == {poster.link, poster.also[0][1]}
    main = qr_placement(poster)
    assert main.box_size >= 8 and main.side >= SIZE[0] // 3
