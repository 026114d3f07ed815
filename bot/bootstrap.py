"""The composition root: builds the engine, sessions, clock, services, dispatcher, outbox
sender and jobs from settings. Nothing else in the code base creates them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bot.channels.base import Channel
from bot.jobs import Job, build_jobs
from bot.outbox_sender import OutboxSender
from bot.settings import Settings
from casework.calendar import WorkingCalendar
from casework.cases import Casework
from casework.clock import Clock
from casework.directory import CountyDirectory
from casework.live_county import LiveCounty
from casework.sla import SlaPolicy
from handlers.dispatcher import Dispatcher
from handlers.turn import Services
from nlp.classifier import DEFAULT_CATEGORIES, DEFAULT_MODEL, KeywordModel
from nlp.live import LiveClassifier
from storage.county_file import ImportSummary, import_county, load_county_file
from storage.db import SessionFactory, make_engine, migrate, transaction
from storage.models import County

__all__ = ["SAMPLE_COUNTY", "App", "build_app", "has_county", "open_database"]

SAMPLE_COUNTY = Path(__file__).resolve().parent.parent / "storage" / "data" / "yangshuo.yaml"


def open_database(settings: Settings) -> tuple[Engine, SessionFactory]:
    """The engine at the settings' URL, migrated to the latest schema."""
    if settings.db is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def import_county_file(
    sessions: SessionFactory, path: Path | str, model: KeywordModel
) -> ImportSummary:
    # The default taxonomy is always known; a county's keyword file may add categories.
    data = load_county_file(
        path, dict.fromkeys([*DEFAULT_CATEGORIES, *model.categories]), SlaPolicy.from_overrides
    )
    with transaction(sessions) as session:
        return import_county(session, data)


def _follow_county(
    sessions: SessionFactory,
    casework: Casework,
    classifier: LiveClassifier,
    directory: CountyDirectory,
) -> None:
    """A new county import: the parts built from the county take the new one."""
    with transaction(sessions) as session:
        county = session.get(County, directory.county_code)
        casework.sla = SlaPolicy.from_overrides(county.sla if county else None)
        casework.calendar = WorkingCalendar.from_county(
            casework.calendar.zone, county.calendar if county else None
        )
    casework.county_code = directory.county_code
    classifier.gazetteer = directory.gazetteer
    classifier.refresh(force=True)


def has_county(sessions: SessionFactory) -> bool:
    """True when a county with at least one grid has been imported."""
    with transaction(sessions) as session:
        return not CountyDirectory.load(session).empty


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    services: Services
    dispatcher: Dispatcher
    jobs: list[Job]

    def sender(self, channels: Mapping[str, Channel]) -> OutboxSender:
        return OutboxSender(self.sessions, channels, self.clock)


def build_app(
    settings: Settings,
    clock: Clock,
    *,
    engine: tuple[Engine, SessionFactory] | None = None,
    county_file: Path | str | None = None,
    model_file: Path | str | None = None,
) -> App:
    engine_, sessions = engine or open_database(settings)
    model_file = model_file or settings.keywords or DEFAULT_MODEL
    model = KeywordModel.load(model_file)
    if county_file is not None:
        import_county_file(sessions, county_file, model)
    with transaction(sessions) as session:
        directory = CountyDirectory.load(session)
        county = session.get(County, directory.county_code)
        policy = SlaPolicy.from_overrides(county.sla if county else None)
        county_calendar = county.calendar if county else None
    zone = ZoneInfo(settings.tz)
    calendar = WorkingCalendar.from_county(zone, county_calendar)
    casework = Casework(clock, calendar, policy, directory.county_code)
    classifier = LiveClassifier(model_file, directory.gazetteer)
    county = LiveCounty(sessions, directory)
    county.on_reload.append(lambda d: _follow_county(sessions, casework, classifier, d))
    services = Services(casework, county, classifier)
    dispatcher = Dispatcher(sessions, services, clock)
    jobs = build_jobs(sessions, services, clock)
    return App(settings, engine_, sessions, clock, services, dispatcher, jobs)
