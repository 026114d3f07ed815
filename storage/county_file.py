"""The county file (INTERFACES.md): parse, validate with line numbers, import, export.

Validation collects every error before anything is written; a file with any error imports
nothing. Errors are in Chinese for the office staff who edit these files, and name the
line, the key and the codes involved.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import lock_county
from storage.duty_rules import DEFAULT_DUTIES, DEFAULT_POINTS
from storage.models import County, Department, Deputy, Grid, Station, Township

__all__ = [
    "LEVELS",
    "CountyFileError",
    "ImportSummary",
    "export_county",
    "import_county",
    "load_county_file",
]

LEVELS = ("national", "provincial", "city", "county", "township")
STATION_KINDS = ("area", "thematic")

# section → (required keys, optional keys)
_SCHEMA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "county": (("code", "name"), ()),
    "townships": (("code", "name"), ()),
    "stations": (
        ("code", "name", "township", "kind"),
        ("topics", "phone", "address", "hours"),
    ),
    "grids": (("code", "name", "station"), ("places", "polygon")),
    "deputies": (
        ("code", "name", "level"),
        ("stations", "grids", "expertise", "head_of", "phone"),
    ),
    "departments": (("code", "name"), ("categories", "contact", "aliases")),
    "office": (("name",), ()),
}
_LISTS = ("townships", "stations", "grids", "deputies", "departments")


class CountyFileError(Exception):
    def __init__(self, path: str, errors: list[str]) -> None:
        self.path, self.errors = path, errors
        super().__init__(f"{path}：{len(errors)}处错误，未导入任何内容。\n" + "\n".join(errors))


@dataclass
class Entry:
    line: int
    values: dict[str, Any]


@dataclass
class CountyData:
    county: Entry | None = None
    office: Entry | None = None
    sla: dict[str, Any] | None = None
    calendar: dict[str, list[str]] | None = None  # {holidays: [ISO…], workdays: [ISO…]}
    duties: dict[str, int] | None = None  # {receptions: 1, observations: 1}
    points: dict[str, int] | None = None  # {按时签收: 1, …}: changes to the defaults
    stars: int | None = None  # 履职之星 per level
    sections: dict[str, list[Entry]] = field(default_factory=dict)

    def entries(self, section: str) -> list[Entry]:
        return self.sections.get(section, [])


@dataclass(frozen=True)
class ImportSummary:
    counts: dict[str, int]
    created: int
    updated: int  # entities whose values really changed
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# --- parsing ----------------------------------------------------------------------------


def _suggest(word: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1)
    return f"（是否应为“{close[0]}”？）" if close else ""


def _mapping(node: yaml.Node, where: str, section: str, errors: list[str]) -> Entry | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        errors.append(f"第{line}行：{where} 应为“键: 值”的映射。")
        return None
    required, optional = _SCHEMA[section]
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        key_line = key_node.start_mark.line + 1
        if key not in required and key not in optional:
            hint = _suggest(key, required + optional)
            errors.append(f"第{key_line}行：{where} 中有未知字段“{key}”{hint}")
            continue
        values[key] = yaml.SafeLoader("").construct_object(value_node, deep=True)
    for key in required:
        if values.get(key) in (None, ""):
            errors.append(f"第{line}行：{where} 缺少必填字段“{key}”。")
    return Entry(line, values)


def load_county_file(
    path: Path | str,
    categories: Iterable[str],
    check_sla: Callable[[dict[str, Any]], object] | None = None,
) -> CountyData:
    """Parse and check ``path``; raises CountyFileError listing every problem.

    ``check_sla`` validates the optional ``sla:`` section (the time-limit policy lives in
    casework, above storage) by raising ValueError with the reason."""
    path = str(path)
    errors: list[str] = []
    try:
        with open(path, encoding="utf-8") as f:
            root = yaml.compose(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行：" if mark else ""
        raise CountyFileError(path, [f"{where}YAML 格式错误：{error}"]) from None
    except OSError as error:
        raise CountyFileError(path, [f"无法读取文件：{error.strerror}"]) from None
    if not isinstance(root, yaml.MappingNode):
        raise CountyFileError(path, ["文件应以 county:、townships: 等字段开头。"])

    data = CountyData()
    for key_node, value_node in root.value:
        section = key_node.value
        line = key_node.start_mark.line + 1
        if section == "sla":
            data.sla = _sla(value_node, line, check_sla, errors)
            continue
        if section == "calendar":
            data.calendar = _calendar(value_node, line, errors)
            continue
        if section in ("duties", "points"):
            allowed = DEFAULT_DUTIES if section == "duties" else DEFAULT_POINTS
            found = _numbers(value_node, line, section, allowed, errors)
            setattr(data, section, found)
            continue
        if section == "stars":
            data.stars = _stars(value_node, line, errors)
            continue
        if section not in _SCHEMA:
            hint = _suggest(section, [*_SCHEMA, "sla", "calendar", "duties", "points", "stars"])
            errors.append(f"第{line}行：未知字段“{section}”{hint}")
            continue
        if section in _LISTS:
            if not isinstance(value_node, yaml.SequenceNode):
                errors.append(f"第{line}行：{section} 应为列表（每项以“- ”开头）。")
                continue
            items = []
            for i, item in enumerate(value_node.value):
                entry = _mapping(item, f"{section}[{i + 1}]", section, errors)
                if entry is not None:
                    items.append(entry)
            data.sections[section] = items
        else:
            entry = _mapping(value_node, section, section, errors)
            setattr(data, section, entry)
    if data.county is None:
        errors.append("缺少 county（县的代码和名称）。")
    _check(data, set(categories), errors)
    if errors:
        raise CountyFileError(path, errors)
    return data


def _sla(
    node: yaml.Node,
    line: int,
    check: Callable[[dict[str, Any]], object] | None,
    errors: list[str],
) -> dict[str, Any] | None:
    if not isinstance(node, yaml.MappingNode):
        errors.append(f"第{line}行：sla 应为“键: 值”的映射。")
        return None
    values = yaml.SafeLoader("").construct_object(node, deep=True)
    # Times like 08:00 are read by YAML as sexagesimal numbers; keep them as written.
    for key_node, value_node in node.value:
        if key_node.value in ("reminders_from", "reminders_until"):
            values[key_node.value] = value_node.value
    if check is not None:
        try:
            check(values)
        except (ValueError, TypeError) as error:
            errors.append(f"第{line}行：sla 设置有误：{error}")
            return None
    return values


def _numbers(
    node: yaml.Node, line: int, section: str, allowed: dict[str, int], errors: list[str]
) -> dict[str, int] | None:
    """``duties:`` / ``points:``: known names with whole numbers (duties not negative)."""
    if not isinstance(node, yaml.MappingNode):
        errors.append(f"第{line}行：{section} 应为“名称: 数值”的映射。")
        return None
    found: dict[str, int] = {}
    ok = True
    for key_node, value_node in node.value:
        key, key_line = key_node.value, key_node.start_mark.line + 1
        if key not in allowed:
            hint = _suggest(key, allowed)
            errors.append(
                f"第{key_line}行：{section} 中有未知名称“{key}”{hint}，"
                f"可用的有：{'、'.join(allowed)}。"
            )
            ok = False
            continue
        text = value_node.value if isinstance(value_node, yaml.ScalarNode) else ""
        try:
            value = int(str(text).replace("−", "-"))
        except ValueError:
            value = None
        if value is None or (section == "duties" and value < 0):
            what = "不小于0的整数" if section == "duties" else "整数（可为负，如 -2）"
            errors.append(f"第{key_line}行：{section} 的“{key}”应为{what}，而不是“{text}”。")
            ok = False
            continue
        found[key] = value
    return found if ok else None


def _stars(node: yaml.Node, line: int, errors: list[str]) -> int | None:
    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    if not str(text).isdigit() or int(text) < 1:
        errors.append(f"第{line}行：stars（每级履职之星人数）应为正整数，而不是“{text}”。")
        return None
    return int(text)


_CALENDAR_KEYS = ("holidays", "workdays")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar(node: yaml.Node, line: int, errors: list[str]) -> dict[str, list[str]] | None:
    """``calendar: {holidays: [YYYY-MM-DD…], workdays: […]}``: the county's own dates,
    which override chinese-calendar (a year it does not know yet, or a local change)."""
    example = "如 {holidays: [2027-01-01], workdays: [2027-02-07]}"
    if not isinstance(node, yaml.MappingNode):
        errors.append(f"第{line}行：calendar 应为“键: 值”的映射，{example}。")
        return None
    found: dict[str, list[str]] = {key: [] for key in _CALENDAR_KEYS}
    where: dict[str, tuple[str, int]] = {}  # date → (list, line)
    ok = True
    for key_node, value_node in node.value:
        key, key_line = key_node.value, key_node.start_mark.line + 1
        if key not in _CALENDAR_KEYS:
            hint = _suggest(key, _CALENDAR_KEYS)
            errors.append(f"第{key_line}行：calendar 中有未知字段“{key}”{hint}")
            ok = False
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            continue  # an empty list written as nothing
        if not isinstance(value_node, yaml.SequenceNode):
            errors.append(f"第{key_line}行：calendar 的“{key}”应为日期列表，{example}。")
            ok = False
            continue
        for item in value_node.value:
            item_line = item.start_mark.line + 1
            text = item.value if isinstance(item, yaml.ScalarNode) else ""
            day = _iso_date(text)
            if day is None:
                shown = text or "（非日期）"
                errors.append(
                    f"第{item_line}行：calendar 的“{key}”中“{shown}”不是有效日期"
                    "（应为 YYYY-MM-DD）。"
                )
                ok = False
                continue
            if day in where and where[day][0] != key:
                other, other_line = where[day]
                errors.append(
                    f"第{item_line}行：{day} 同时列在 {other}（第{other_line}行）和 {key} 中，"
                    "一天只能是放假日或调休上班日之一。"
                )
                ok = False
                continue
            if day not in where:
                where[day] = (key, item_line)
                found[key].append(day)
    return {key: sorted(days) for key, days in found.items()} if ok else None


def _iso_date(text: str) -> str | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:  # 2027-02-30
        return None


def _as_list(entry: Entry, key: str, errors: list[str], what: str) -> list[Any]:
    value = entry.values.get(key) or []
    if not isinstance(value, list):
        errors.append(f"第{entry.line}行：{what} 的“{key}”应为列表，如 [A, B]。")
        return []
    return value


def _check(data: CountyData, categories: set[str], errors: list[str]) -> None:
    codes: dict[str, dict[str, Entry]] = {}
    for section in _LISTS:
        seen: dict[str, Entry] = {}
        for entry in data.entries(section):
            raw = entry.values.get("code", "")
            if isinstance(raw, bool):  # YAML reads NO, ON, YES… as booleans
                errors.append(
                    f'第{entry.line}行：{section} 的代码被读成了真假值，请加引号，如 code: "NO"。'
                )
            code = str(raw)
            if code in seen:
                errors.append(
                    f"第{entry.line}行：{section} 代码 {code} 重复（第{seen[code].line}行已定义）。"
                )
            seen[code] = entry
        codes[section] = seen

    def ref(entry: Entry, who: str, section: str, code: Any, key: str) -> None:
        if code is None:  # a missing key, already reported by _mapping
            return
        if str(code) not in codes[section]:
            hint = _suggest(str(code), codes[section])
            errors.append(f"第{entry.line}行：{who} 的“{key}”引用了 {code}，但未定义该代码{hint}。")

    def cats(entry: Entry, who: str, key: str) -> None:
        for name in _as_list(entry, key, errors, who):
            if name not in categories:
                hint = _suggest(str(name), categories)
                errors.append(f"第{entry.line}行：{who} 的“{key}”中有未知类别“{name}”{hint}")

    for entry in data.entries("stations"):
        who = f"联络站 {entry.values.get('code')}"
        ref(entry, who, "townships", entry.values.get("township"), "township")
        kind = entry.values.get("kind")
        if kind is not None and kind not in STATION_KINDS:
            errors.append(
                f"第{entry.line}行：{who} 的 kind 应为 area 或 thematic，而不是“{kind}”。"
            )
        cats(entry, who, "topics")
    for entry in data.entries("grids"):
        who = f"网格 {entry.values.get('code')}"
        ref(entry, who, "stations", entry.values.get("station"), "station")
        _as_list(entry, "places", errors, who)
        polygon = entry.values.get("polygon")
        if polygon is not None and not _valid_ring(polygon):
            errors.append(
                f"第{entry.line}行：{who} 的 polygon 应为至少3个 [经度, 纬度] 点，"
                "如 [[110.49, 24.77], …]。"
            )
    for entry in data.entries("deputies"):
        who = f"代表 {entry.values.get('code')}"
        if entry.values.get("level") not in (None, *LEVELS):
            errors.append(
                f"第{entry.line}行：{who} 的 level 应为 {'/'.join(LEVELS)} 之一，"
                f"而不是“{entry.values.get('level')}”。"
            )
        for key, section in (("stations", "stations"), ("grids", "grids"), ("head_of", "stations")):
            for code in _as_list(entry, key, errors, who):
                ref(entry, who, section, code, key)
        cats(entry, who, "expertise")
    for entry in data.entries("departments"):
        who = f"部门 {entry.values.get('code')}"
        cats(entry, who, "categories")
        contact = entry.values.get("contact")
        if contact is not None and str(contact) not in ("office", *codes["deputies"]):
            hint = _suggest(str(contact), [*codes["deputies"], "office"])
            errors.append(
                f"第{entry.line}行：{who} 的“contact”应为 office 或代表代码，"
                f"但未定义代表 {contact}{hint}。"
            )
        _as_list(entry, "aliases", errors, who)
    for section, label in (("stations", "联络站"), ("deputies", "代表")):
        for entry in data.entries(section):
            for key in ("phone", "address", "hours"):
                value = entry.values.get(key)
                if value is not None and not isinstance(value, str | int):
                    errors.append(
                        f"第{entry.line}行：{label} {entry.values.get('code')} 的“{key}”应为文字。"
                    )


def _valid_ring(polygon: Any) -> bool:
    if not isinstance(polygon, list) or len(polygon) < 3:
        return False
    for point in polygon:
        if not (isinstance(point, list) and len(point) == 2):
            return False
        lon, lat = point
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point):
            return False
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return False
    return True


# --- import / export --------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def import_county(session: Session, data: CountyData) -> ImportSummary:
    """Create or update every entity by code, in the caller's transaction. Counts what
    really changed, and bumps the county's revision when anything did (running processes
    reload on that)."""
    lock_county(session)
    created = updated = unchanged = 0

    def upsert(
        model: type, code: str, links: dict[str, list[Any]] | None = None, **values: Any
    ) -> Any:
        nonlocal created, updated, unchanged
        row = session.get(model, code)
        if row is None:
            row = model(code=code, **values)
            session.add(row)
            for key, targets in (links or {}).items():
                setattr(row, key, targets)
            created += 1
            return row
        changed = False
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        for key, targets in (links or {}).items():
            if sorted(t.code for t in getattr(row, key)) != sorted(t.code for t in targets):
                setattr(row, key, targets)
                changed = True
        if changed:
            updated += 1
        else:
            unchanged += 1
        return row

    assert data.county is not None
    county = data.county.values
    office = data.office.values["name"] if data.office else "人大常委会代表工委"
    county_row = upsert(
        County, str(county["code"]), name=county["name"], office_name=office, sla=data.sla,
        calendar=data.calendar, duties=data.duties, points=data.points, stars=data.stars,
    )  # fmt: skip
    for position, e in enumerate(data.entries("townships")):
        upsert(Township, str(e.values["code"]), name=e.values["name"], position=position)
    session.flush()
    for e in data.entries("stations"):
        v = e.values
        upsert(
            Station, str(v["code"]), name=v["name"], township_code=str(v["township"]),
            kind=v["kind"], topics=list(v.get("topics") or []), phone=_text(v.get("phone")),
            address=_text(v.get("address")), hours=_text(v.get("hours")),
        )  # fmt: skip
    session.flush()
    for e in data.entries("grids"):
        v = e.values
        upsert(
            Grid, str(v["code"]), name=v["name"], station_code=str(v["station"]),
            places=[str(p) for p in v.get("places") or []], polygon=v.get("polygon"),
        )  # fmt: skip
    for e in data.entries("departments"):
        v = e.values
        upsert(
            Department, str(v["code"]), name=v["name"],
            categories=list(v.get("categories") or []),
            contact=str(v["contact"]) if v.get("contact") is not None else None,
            aliases=[str(a) for a in v.get("aliases") or []],
        )  # fmt: skip
    session.flush()
    for e in data.entries("deputies"):
        v = e.values
        links = {
            "stations": [session.get(Station, str(c)) for c in v.get("stations") or []],
            "grids": [session.get(Grid, str(c)) for c in v.get("grids") or []],
            "head_of": [session.get(Station, str(c)) for c in v.get("head_of") or []],
        }
        upsert(
            Deputy, str(v["code"]), links, name=v["name"], level=v["level"],
            expertise=list(v.get("expertise") or []), phone=_text(v.get("phone")),
        )  # fmt: skip
    if created or updated:
        county_row.revision = (county_row.revision or 0) + 1
    session.flush()
    counts = {section: len(data.entries(section)) for section in _LISTS}
    return ImportSummary(counts, created, updated, unchanged)


def export_county(session: Session) -> dict[str, Any]:
    """The database's county as the county file's structure (round-trips through import)."""
    county = session.scalars(select(County).order_by(County.code)).first()
    if county is None:
        return {}

    def by_code(model: type) -> list[Any]:
        return list(session.scalars(select(model).order_by(model.code)))

    stations = []
    for s in by_code(Station):
        entry: dict[str, Any] = {
            "code": s.code, "name": s.name, "township": s.township_code, "kind": s.kind,
        }  # fmt: skip
        if s.topics:
            entry["topics"] = list(s.topics)
        for key in ("phone", "address", "hours"):
            if getattr(s, key):
                entry[key] = getattr(s, key)
        stations.append(entry)
    grids = []
    for g in by_code(Grid):
        entry = {
            "code": g.code,
            "name": g.name,
            "station": g.station_code,
            "places": list(g.places),
        }
        if g.polygon:
            entry["polygon"] = g.polygon
        grids.append(entry)
    deputies = []
    for d in by_code(Deputy):
        entry = {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "stations": [s.code for s in d.stations],
            "grids": [g.code for g in d.grids],
            "expertise": list(d.expertise),
        }
        if d.head_of:
            entry["head_of"] = [s.code for s in d.head_of]
        if d.phone:
            entry["phone"] = d.phone
        deputies.append(entry)
    return {
        "county": {"code": county.code, "name": county.name},
        "townships": [
            {"code": t.code, "name": t.name}
            for t in session.scalars(select(Township).order_by(Township.position, Township.code))
        ],
        "stations": stations,
        "grids": grids,
        "deputies": deputies,
        "departments": [_department_entry(d) for d in by_code(Department)],
        "office": {"name": county.office_name},
        **({"sla": county.sla} if county.sla else {}),
        **({"calendar": county.calendar} if county.calendar else {}),
        **({"duties": county.duties} if county.duties else {}),
        **({"points": county.points} if county.points else {}),
        **({"stars": county.stars} if county.stars else {}),
    }


def _department_entry(department: Department) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": department.code, "name": department.name,
        "categories": list(department.categories),
    }  # fmt: skip
    if department.contact:
        entry["contact"] = department.contact
    if department.aliases:
        entry["aliases"] = list(department.aliases)
    return entry


def dump_county_yaml(data: dict[str, Any]) -> str:
    """One entry per line in flow style, like the hand-written files."""
    if not data:
        return ""

    def flow(value: Any) -> str:
        return yaml.safe_dump(
            value, default_flow_style=True, allow_unicode=True, width=10_000
        ).strip()

    lines = [f"county: {flow(data['county'])}"]
    for section in _LISTS:
        lines.append(f"{section}:")
        lines.extend(f"  - {flow(entry)}" for entry in data[section])
    lines.append(f"office: {flow(data['office'])}")
    if data.get("sla"):
        lines.append(f"sla: {flow(data['sla'])}")
    if data.get("calendar"):
        lines.append("calendar:")
        lines.extend(f"  {key}: {flow(days)}" for key, days in data["calendar"].items())
    for key in ("duties", "points", "stars"):
        if data.get(key):
            lines.append(f"{key}: {flow(data[key])}")
    return "\n".join(lines) + "\n"
