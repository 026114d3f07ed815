"""County data: upload a county file (every error shown by line, nothing imported on any
error), download the current one. Office accounts only."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.responses import RedirectResponse, Response

from casework.live_county import LiveCounty
from casework.sla import SlaPolicy
from nlp.classifier import DEFAULT_CATEGORIES
from office.dashboard.web import Ctx, action, page, render
from storage.county_file import (
    CountyFileError,
    dump_county_yaml,
    export_county,
    import_county,
    load_county_file,
)

__all__ = ["county_page", "download", "upload"]

MAX_FILE = 2_000_000
SECTIONS = {"townships": "乡镇", "stations": "联络站", "grids": "网格", "deputies": "代表",
            "departments": "部门"}  # fmt: skip


def _categories(ctx: Ctx) -> dict[str, None]:
    model = getattr(ctx.dashboard.services.classifier, "model", None)
    return dict.fromkeys([*DEFAULT_CATEGORIES, *getattr(model, "categories", ())])


def _show(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    data = export_county(ctx.db)
    counts = {name: len(data.get(key, [])) for key, name in SECTIONS.items()}
    county = data.get("county", {})
    return render(ctx, "county.html", status_code, counts=counts, county=county, **values)


@page
def county_page(ctx: Ctx) -> Response:
    ctx.office_only()
    return _show(ctx)


@action
def upload(ctx: Ctx) -> Response:
    ctx.office_only()
    name, body = ctx.files.get("file", ("", b""))
    if not body:
        return _show(ctx, 400, errors=["请选择要上传的县数据文件（YAML）。"])
    if len(body) > MAX_FILE:
        return _show(ctx, 400, errors=[f"文件超过{MAX_FILE // 1_000_000}MB，未导入。"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "county.yaml"
        path.write_bytes(body)
        try:
            data = load_county_file(path, _categories(ctx), SlaPolicy.from_overrides)
        except CountyFileError as error:
            lines = [line.replace(str(path), name or "上传的文件") for line in error.errors]
            return _show(ctx, 400, errors=lines, filename=name)
    summary = import_county(ctx.db, data)
    if summary.changed:
        change = f"新增{summary.created}项，修改{summary.updated}项，未变{summary.unchanged}项"
    else:
        change = "与数据库中的完全相同，没有任何改动"
    ctx.flash(f"已导入 {name}（{change}）")
    directory = ctx.dashboard.services.directory
    if isinstance(directory, LiveCounty):
        ctx.db.commit()
        directory.refresh(force=True)
    return RedirectResponse("/office/county", status_code=303)


@page
def download(ctx: Ctx) -> Response:
    ctx.office_only()
    text = dump_county_yaml(export_county(ctx.db))
    return Response(
        text.encode("utf-8"),
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="county.yaml"'},
    )
