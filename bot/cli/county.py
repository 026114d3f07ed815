"""``grid-intake county import|export|show``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["SECTION_NAMES", "register"]

SECTION_NAMES = {
    "townships": "乡镇",
    "stations": "联络站",
    "grids": "网格",
    "deputies": "代表",
    "departments": "部门",
}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    county = sub.add_parser("county", parents=[common], help="import, export or show the county")
    county_sub = county.add_subparsers(dest="county_command", required=True, metavar="ACTION")
    imp = county_sub.add_parser(
        "import", parents=[common], help="load a county file (idempotent by code)"
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=_import)
    exp = county_sub.add_parser(
        "export", parents=[common], help="print the county file of the database"
    )
    exp.add_argument("-o", "--output", type=Path)
    exp.set_defaults(run=_export)
    show = county_sub.add_parser("show", parents=[common], help="summarise the county")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_show)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import import_county_file, open_database
    from nlp.classifier import DEFAULT_MODEL, KeywordModel

    _engine, sessions = open_database(settings)
    if not args.file.exists():
        raise UserError(f"找不到文件：{args.file}")
    summary = import_county_file(
        sessions, args.file, KeywordModel.load(settings.keywords or DEFAULT_MODEL)
    )
    parts = "、".join(f"{SECTION_NAMES[k]}{v}个" for k, v in summary.counts.items())
    if summary.changed:
        change = f"新增{summary.created}项，修改{summary.updated}项，未变{summary.unchanged}项"
    else:
        change = "与数据库中的完全相同，没有任何改动"
    print(f"已导入 {args.file}：{parts}（{change}）")
    return 0


def _exported(settings: Settings) -> dict:
    from bot.bootstrap import open_database
    from storage.county_file import export_county
    from storage.db import transaction

    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        data = export_county(session)
    if not data:
        raise UserError("数据库中还没有县的数据，请先运行 grid-intake county import FILE.yaml")
    return data


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from storage.county_file import dump_county_yaml

    text = dump_county_yaml(_exported(settings))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _show(settings: Settings, args: argparse.Namespace) -> int:
    data = _exported(settings)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{data['county']['name']}（{data['county']['code']}）— {data['office']['name']}")
    for section, name in SECTION_NAMES.items():
        print(f"  {name}：{len(data[section])}个")
    return 0
