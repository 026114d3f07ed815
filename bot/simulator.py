"""Replays scripted conversations through the real handlers, outbox and jobs on a virtual
clock (INTERFACES.md, simulation script). Also the home of ``verify_dialog`` for tests.

A step's ``text`` (and ``start``) may name tickets issued during the run instead of
hard-coding them: ``{{ticket}}`` is the latest one, ``{{ticket:1}}`` the first, ``{{ticket:2}}``
the second… So a script does the same on any database, whatever tickets it already holds."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.recording import RecordingChannel, Sent
from bot.outbox_sender import OutboxSender
from bot.scheduler import VirtualScheduler
from casework.clock import ManualClock, SystemClock, parse_duration
from casework.identities import bind_deputy, bind_office
from handlers.incoming import Incoming
from storage.db import transaction
from storage.models import Case, Deputy

__all__ = ["CHANNEL", "ScriptError", "Simulation", "group_member", "start_clock"]

CHANNEL = "console"  # the demo and the simulator share the terminal channel's name
PLACEHOLDER = re.compile(r"\{\{\s*ticket(?:\s*:\s*(\d+))?\s*\}\}")
CLAIM = re.compile(r"\{\{\s*claim\s*\}\}")
CLAIM_SHOWN = re.compile(r"认领码：(\d{6})")


class ScriptError(ValueError):
    """A script line that is not a valid step; names the line."""


@dataclass
class Simulation:
    app: App
    clock: ManualClock
    recorder: RecordingChannel
    sender: OutboxSender
    scheduler: VirtualScheduler
    tickets: list[str] = field(default_factory=list)  # issued during this run, in order
    claims: list[str] = field(default_factory=list)  # 代录 claim codes shown, in order
    _seen_case: int = 0

    @classmethod
    def attach(cls, app: App, clock: ManualClock) -> Simulation:
        """Bind every deputy to ``deputy:CODE`` and the office to ``office``, as scripts expect."""
        recorder = RecordingChannel(clock, CHANNEL)
        sender = app.sender({CHANNEL: recorder})
        scheduler = VirtualScheduler(app.jobs, clock, sender.drain)
        with transaction(app.sessions) as session:
            now = clock.now()
            for code in session.scalars(select(Deputy.code).order_by(Deputy.code)):
                bind_deputy(session, CHANNEL, f"deputy:{code}", code, now)
            bind_office(session, CHANNEL, "office", now)
            seen = session.scalar(select(func.max(Case.id))) or 0
        return cls(app, clock, recorder, sender, scheduler, _seen_case=seen)

    def _note_new_tickets(self) -> None:
        with transaction(self.app.sessions) as session:
            rows = session.execute(
                select(Case.id, Case.ticket).where(Case.id > self._seen_case).order_by(Case.id)
            ).all()
        for case_id, ticket in rows:
            self.tickets.append(ticket)
            self._seen_case = case_id

    def fill_in(self, text: str) -> str:
        """``text`` with its {{ticket}} / {{ticket:N}} placeholders replaced."""

        def ticket(match: re.Match[str]) -> str:
            number = match.group(1)
            if not self.tickets:
                raise ScriptError(f"{match.group(0)} is used before any ticket was issued")
            if number is None:
                return self.tickets[-1]
            if not 1 <= int(number) <= len(self.tickets):
                raise ScriptError(
                    f"{match.group(0)}: only {len(self.tickets)} ticket(s) issued so far"
                )
            return self.tickets[int(number) - 1]

        def claim(match: re.Match[str]) -> str:
            if not self.claims:
                raise ScriptError("{{claim}} is used before any claim code was shown")
            return self.claims[-1]

        return CLAIM.sub(claim, PLACEHOLDER.sub(ticket, text))

    # --- steps ---------------------------------------------------------------------------

    async def say(self, actor: str, text: str) -> list[Sent]:
        return await self.send(actor, text=text)

    async def send(self, actor: str, **fields: Any) -> list[Sent]:
        is_group = actor.startswith("group:")
        user = fields.pop("user", None)
        if is_group:
            member = group_member(actor, user)
            fields.setdefault("sender_is_admin", user is None)
        else:
            member = actor
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=actor,
            user_id=member,
            message_id=uuid.uuid4().hex,
            is_group=is_group,
            display_name="群主" if is_group and user is None else member.partition(":")[2],
            **fields,
        )
        self.app.dispatcher.handle(incoming)
        await self.sender.drain()
        return self.recorder.take()

    async def advance(self, duration: str) -> list[Sent]:
        await self.scheduler.advance(parse_duration(duration))
        return self.recorder.take()

    async def step(self, step: dict[str, Any]) -> list[Sent]:
        if "advance" in step:
            return await self.advance(str(step["advance"]))
        actor = step.get("from")
        if not isinstance(actor, str) or (":" not in actor and actor != "office"):
            raise ScriptError(
                'each step needs "from": "resident:NAME" | "deputy:CODE" | "group:NAME"'
            )
        if "start" in step:
            start = self.fill_in(str(step["start"]))
            return await self.send(actor, start=start, user=step.get("user"))
        if "text" in step:
            flags = {name: True for name in ("reply_to_bot", "addressed_to_bot") if step.get(name)}
            text = self.fill_in(str(step["text"]))
            return await self.send(actor, text=text, user=step.get("user"), **flags)
        if "choose" in step:
            return await self.send(actor, text=str(int(step["choose"])))
        if "location" in step:
            lat, lon = (float(v) for v in step["location"])
            return await self.send(actor, location=(lat, lon))
        if "photo" in step:
            return await self.send(actor, photo=str(step["photo"]))
        raise ScriptError(f"unknown step {json.dumps(step, ensure_ascii=False)}")

    async def run_script(self, lines: Iterable[str]) -> list[dict[str, Any]]:
        transcript: list[dict[str, Any]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                step, end = json.JSONDecoder().raw_decode(line.strip())
            except json.JSONDecodeError as error:
                raise ScriptError(f"line {number}: not JSON ({error.msg})") from None
            rest = line.strip()[end:].strip()
            if rest and not rest.startswith("#"):  # a trailing "# comment" is allowed
                raise ScriptError(f"line {number}: unexpected text after the step: {rest[:30]}")
            if not isinstance(step, dict):
                raise ScriptError(f"line {number}: a step is a JSON object")
            try:
                sent = await self.step(step)
            except (ScriptError, ValueError, TypeError) as error:
                raise ScriptError(f"line {number}: {error}") from None
            self._note_new_tickets()
            self.claims += [m.group(1) for x in sent if (m := CLAIM_SHOWN.search(x.text))]
            transcript.extend(self.transcript_line(s) for s in sent)
        return transcript

    def transcript_line(self, sent: Sent) -> dict[str, Any]:
        zone = ZoneInfo(self.app.settings.tz)
        return {
            "at": sent.at.astimezone(zone).isoformat(),
            "to": sent.chat_id,
            "text": sent.text,
            "choices": list(sent.choices),
        }

    # --- checking conversations ----------------------------------------------------------

    async def verify_dialog(
        self, exchanges: Sequence[tuple[tuple[str, str], Sequence[tuple[str, str]]]]
    ) -> None:
        """Each exchange: ((actor, what they say), [(recipient, expected fragment), …]).

        Every expected fragment must appear in the messages the step caused, in order (two
        fragments may be in one message); a step expected to cause nothing must cause nothing.
        """
        for (actor, says), expected in exchanges:
            sent = await self.say(actor, says)
            got = [(s.chat_id, s.text) for s in sent]
            position = 0
            for recipient, fragment in expected:
                while position < len(got) and not (
                    got[position][0] == recipient and fragment in got[position][1]
                ):
                    position += 1
                if position == len(got):
                    raise AssertionError(
                        f"{actor} said {says!r}: expected {recipient} to get {fragment!r}; "
                        f"got {got!r}"
                    )
            if not expected and got:
                raise AssertionError(f"{actor} said {says!r}: expected silence; got {got!r}")


def group_member(group: str, user: str | None) -> str:
    """Who speaks in a group step: ``"user": "wang"`` is the resident ``resident:wang``
    (one person in the group and in private, as on Telegram), ``"deputy:D001"`` that
    deputy; no ``user`` is the group's creator, an administrator who may bind it."""
    if user is None:
        return f"{group}/admin"
    return user if ":" in user or user == "office" else f"resident:{user}"


def start_clock(start: str | None, zone: str) -> ManualClock:
    """The simulator's clock: ``start`` (ISO; local time if it has no offset) or now."""
    if start is None:
        return ManualClock(SystemClock().now().replace(microsecond=0))
    instant = datetime.fromisoformat(start)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(zone))
    return ManualClock(instant)
