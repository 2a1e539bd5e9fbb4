"""Reference data shipped with gsomia: schemes, agreements and real histories, as YAML.

Each file is validated on load; an error names the file and the field. Loading turns the
files into the core's frozen dataclasses. A new country or agreement needs a file, not code.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gsomia.core import calendar
from gsomia.core.agreements import (
    Agreement,
    AgreementBook,
    Articles,
    Equivalence,
    Event,
    EventKind,
    HostCalendar,
    Kind,
    NoticeRule,
    Reactivation,
    Term,
    VisitPractice,
    VisitType,
)
from gsomia.core.errors import GsomiaError, InvalidInstant
from gsomia.core.labels import check_topic
from gsomia.core.markings import Level, Scheme
from gsomia.errors import ReferenceDataError

HERE = Path(__file__).parent
# libyaml's C parser reads the same YAML as the pure-Python SafeLoader, several times faster;
# PyYAML built without libyaml lacks it.
LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
PARTY = Annotated[str, Field(pattern=r"^[A-Z]{3,4}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=_Model)


class LevelFile(_Model):
    rank: int
    marking: str
    romanised: str
    english: str
    aliases: list[str] = []


class SchemeFile(_Model):
    party: PARTY
    name: str
    levels: list[LevelFile] = Field(min_length=1)


class TermFile(_Model):
    months: int = Field(gt=0, le=calendar.MAX_TERM_MONTHS)
    automatic_renewal: bool


class NoticeFile(_Model):
    days: int = Field(ge=0, le=calendar.MAX_NOTICE_DAYS)
    channel: str
    reactivation: Reactivation = Reactivation.FULL_PERIOD


class ArticlesFile(_Model):
    term: str
    equivalence: str
    third_party: str
    access: str
    survival: str
    scope: str | None = None
    forwarding: str | None = None
    visits: str | None = None


class CalendarFile(_Model):
    country: str = Field(pattern=r"^[A-Z]{2}$")
    """An ISO 3166-1 alpha-2 code the `holidays` package knows (KR, JP, US)."""
    time_zone: str

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in holidays.list_supported_countries():
            raise ValueError(f"the holidays package has no public holidays for {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)


class VisitsFile(_Model):
    """Visit practice (never treaty text: Art 8 states no lead time); defaults 20/20/3
    working days, one-time and emergency visits up to 30 days, recurring up to 12 months."""

    lead_working_days: dict[VisitType, Annotated[int, Field(ge=0, le=260)]] = {}
    longest_days: dict[
        Literal[VisitType.ONE_TIME, VisitType.EMERGENCY], Annotated[int, Field(ge=1, le=366)]
    ] = {}
    recurring_months: int = Field(default=12, ge=1, le=12)
    calendars: dict[PARTY, CalendarFile] = {}


class AgreementFile(_Model):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]+$")
    title: str
    kind: Kind
    parties: list[PARTY] = Field(min_length=2)
    hub: PARTY | None = None
    signed: str | None = None
    entry_into_force: dt.date | dt.datetime
    legal_time_zone: str
    term: TermFile | None = None
    notice: NoticeFile | None = None
    protection_survives_termination: bool = True
    equivalence: list[dict[str, Any]] = []
    topics: Literal["all"] | list[str] = "all"
    forwarding_requires_originator_approval: bool = False
    articles: ArticlesFile
    source: str = ""
    visits: VisitsFile = VisitsFile()

    @field_validator("legal_time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
    return value


class EventFile(_Model):
    kind: EventKind
    by: PARTY
    at: dt.date | dt.datetime
    note: str = ""


class HistoryFile(_Model):
    id: str
    title: str
    agreement: str
    events: list[EventFile]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ReferenceDataError(f"{path}: not UTF-8 text") from None


def _validate(model: type[M], text: str, path: str) -> M:
    try:
        data = yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or "malformed"
        raise ReferenceDataError(f"{path}: not valid YAML{line}: {problem}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise ReferenceDataError(f"{path}: field {field}: {error['msg']}") from None


def parse_scheme(text: str, path: str) -> Scheme:
    """A scheme from its YAML text; `path` names where the text came from, for errors."""
    data = _validate(SchemeFile, text, path)
    markings = [unicodedata.normalize("NFC", level.marking) for level in data.levels]
    if len(set(markings)) != len(markings):
        raise ReferenceDataError(f"{path}: field levels: a marking appears twice")
    levels = tuple(
        Level(
            data.party,
            level.rank,
            unicodedata.normalize("NFC", level.marking),
            unicodedata.normalize("NFC", level.romanised),
            level.english,
            tuple(unicodedata.normalize("NFC", alias) for alias in level.aliases),
        )
        for level in data.levels
    )
    return Scheme(data.party, data.name, levels)


def _instant(value: dt.date | dt.datetime, zone: ZoneInfo, path: str, field: str) -> dt.datetime:
    """An instant with its offset, or a date's start in `zone`, within the supported range."""
    try:
        if isinstance(value, dt.datetime):
            return calendar.check_instant(value)
        return calendar.parse_instant(value.isoformat(), zone)
    except InvalidInstant as exc:
        raise ReferenceDataError(f"{path}: field {field}: {exc.message}") from None


def parse_agreement(text: str, path: str, schemes: Mapping[str, Scheme]) -> Agreement:
    """An agreement from its YAML text, checked against the parties' schemes."""
    data = _validate(AgreementFile, text, path)
    zone = ZoneInfo(data.legal_time_zone)
    for index, party in enumerate(data.parties):
        if party not in schemes:
            raise ReferenceDataError(
                f"{path}: field parties.{index}: no classification scheme for {party}; "
                f"known: {', '.join(sorted(schemes))}"
            )
    if len(set(data.parties)) != len(data.parties):
        raise ReferenceDataError(f"{path}: field parties: a party appears twice")
    if data.kind is Kind.HUB and data.hub not in data.parties:
        raise ReferenceDataError(f"{path}: field hub: a hub arrangement names one of its parties")
    if data.kind is Kind.BILATERAL and len(data.parties) != 2:
        raise ReferenceDataError(f"{path}: field parties: a bilateral agreement has two parties")
    topics = None
    if data.topics != "all":
        try:
            topics = frozenset(check_topic(topic) for topic in data.topics)
        except GsomiaError as exc:
            raise ReferenceDataError(f"{path}: field topics: {exc.message}") from None
    return Agreement(
        id=data.id,
        title=" ".join(data.title.split()),
        kind=data.kind,
        parties=tuple(data.parties),
        entry_into_force=_instant(data.entry_into_force, zone, path, "entry_into_force"),
        legal_time_zone=zone,
        articles=Articles(**data.articles.model_dump()),
        equivalences=_equivalences(data, schemes, path),
        term=Term(data.term.months, data.term.automatic_renewal) if data.term else None,
        notice=(
            NoticeRule(data.notice.days, data.notice.channel, data.notice.reactivation)
            if data.notice
            else None
        ),
        protection_survives_termination=data.protection_survives_termination,
        topics=topics,
        hub=data.hub,
        forwarding_requires_originator_approval=data.forwarding_requires_originator_approval,
        signed=data.signed,
        source=data.source,
        visits=_visit_practice(data.visits),
    )


def _visit_practice(data: VisitsFile) -> VisitPractice:
    """The file's visit practice over the defaults: only what it names changes."""
    default = VisitPractice()
    return VisitPractice(
        lead_working_days={**default.lead_working_days, **data.lead_working_days},
        longest_days={
            **default.longest_days,
            **{VisitType(k): v for k, v in data.longest_days.items()},
        },
        recurring_months=data.recurring_months,
        calendars={
            party: HostCalendar(host.country, ZoneInfo(host.time_zone))
            for party, host in data.calendars.items()
        },
    )


def _equivalences(
    data: AgreementFile, schemes: Mapping[str, Scheme], path: str
) -> tuple[Equivalence, ...]:
    rows = []
    for index, row in enumerate(data.equivalence):
        where = f"{path}: field equivalence.{index}"
        english = row.get("english")
        if not isinstance(english, str):
            raise ReferenceDataError(f"{where}.english: each row names its English equivalent")
        markings: dict[str, tuple[str, ...]] = {}
        for party in data.parties:
            listed = row.get(party)
            if listed is None:
                raise ReferenceDataError(f"{where}.{party}: each row gives every party's marking")
            names = [listed] if isinstance(listed, str) else listed
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ReferenceDataError(f"{where}.{party}: a marking or a list of markings")
            normalised = tuple(unicodedata.normalize("NFC", n) for n in names)
            for name in normalised:
                if schemes[party].exact(name) is None:
                    raise ReferenceDataError(
                        f"{where}.{party}: {name!r} is not a {party} marking; "
                        f"{party} markings are: {schemes[party].describe_markings()}"
                    )
            markings[party] = normalised
        extra = set(row) - {"english", *data.parties}
        if extra:
            raise ReferenceDataError(f"{where}: {', '.join(sorted(extra))} is not a party")
        rows.append(Equivalence(english, markings))
    return tuple(rows)


def parse_history(
    text: str, path: str, agreements: Mapping[str, Agreement]
) -> tuple[str, list[Event]]:
    """A history's id and its events, checked against the agreement it concerns."""
    data = _validate(HistoryFile, text, path)
    agreement = agreements.get(data.agreement)
    if agreement is None:
        raise ReferenceDataError(
            f"{path}: field agreement: unknown agreement {data.agreement!r}; "
            f"known: {', '.join(sorted(agreements))}"
        )
    zone = agreement.legal_time_zone
    events = [
        Event(
            agreement.id,
            event.kind,
            event.by,
            _instant(event.at, zone, path, f"events.{index}.at"),
            " ".join(event.note.split()),
        )
        for index, event in enumerate(data.events)
    ]
    return data.id, events


def builtin_files(kind: Literal["schemes", "agreements"]) -> list[Path]:
    """The YAML files shipped in the package for `kind`, in name order."""
    return sorted((HERE / kind).glob("*.yaml"))


def builtin_book(*histories: str) -> AgreementBook:
    """The built-in schemes and agreements, with the named histories' events recorded."""
    schemes = [parse_scheme(read_text(path), str(path)) for path in builtin_files("schemes")]
    by_party = {scheme.party: scheme for scheme in schemes}
    agreements = [
        parse_agreement(read_text(path), str(path), by_party)
        for path in builtin_files("agreements")
    ]
    by_id = {agreement.id: agreement for agreement in agreements}
    events = [
        event
        for name in histories
        for event in parse_history(read_text(history_path(name)), name, by_id)[1]
    ]
    return AgreementBook(schemes, agreements, events)


def history_path(name: str) -> Path:
    """A built-in history by name (such as kor-jpn-2019), or a path to a YAML file."""
    builtin = HERE / "histories" / f"{name}.yaml"
    if builtin.exists():
        return builtin
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    known = ", ".join(sorted(p.stem for p in (HERE / "histories").glob("*.yaml")))
    raise ReferenceDataError(
        f"unknown history {name!r}; built-in histories: {known}, or give a path to a YAML file"
    )


def builtin_histories() -> list[str]:
    return sorted(p.stem for p in (HERE / "histories").glob("*.yaml"))
