"""A node's settings, read once per process from flags, the environment and a config file.

Precedence: a flag the interface passes, then the environment, then the config file, then
the default. docs/configuration.md has the table; keep the two in step.

| setting           | environment              | config key        | default                          |
|-------------------|--------------------------|-------------------|----------------------------------|
| database          | GSOMIA_DB                | database          | SQLite file in the user data dir |
| content_dir       | GSOMIA_CONTENT_DIR       | content_dir       | beside a SQLite file, else user data dir |
| party             | GSOMIA_PARTY             | party             | the registry's own (set at init) |
| time_zone         | GSOMIA_TIME_ZONE         | time_zone         | the registry's own, else UTC     |
| passphrase        | GSOMIA_PASSPHRASE        | (never in a file) | none: asked for where possible   |
| passphrase_file   | GSOMIA_PASSPHRASE_FILE   | passphrase_file   | none                             |
| busy_timeout      | GSOMIA_BUSY_TIMEOUT      | busy_timeout      | 30 (seconds)                     |
| incident_notify_within | GSOMIA_INCIDENT_NOTIFY_WITHIN | incident_notify_within | PT24H (practice, Art 17) |
| incident_investigate_within | GSOMIA_INCIDENT_INVESTIGATE_WITHIN | incident_investigate_within | P3D |
| incident_conclude_within | GSOMIA_INCIDENT_CONCLUDE_WITHIN | incident_conclude_within | P30D |
| stix_tlp          | GSOMIA_STIX_TLP          | stix_tlp          | none: STIX exports carry no TLP  |
| config file       | GSOMIA_CONFIG            | —                 | $XDG_CONFIG_HOME/gsomia/config.toml, if present |
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from gsomia.core.incidents import Deadlines, parse_period
from gsomia.errors import InvalidRequest

_INCIDENT_KEYS = (
    "incident_notify_within",
    "incident_investigate_within",
    "incident_conclude_within",
)
_KEYS = (
    "database",
    "content_dir",
    "party",
    "time_zone",
    "passphrase_file",
    "busy_timeout",
    *_INCIDENT_KEYS,
    "stix_tlp",
)
ENVIRONMENT = {
    # setting: the environment variable that gives it
    "database": "GSOMIA_DB",
    "content_dir": "GSOMIA_CONTENT_DIR",
    "party": "GSOMIA_PARTY",
    "time_zone": "GSOMIA_TIME_ZONE",
    "passphrase_file": "GSOMIA_PASSPHRASE_FILE",
    "busy_timeout": "GSOMIA_BUSY_TIMEOUT",
    "incident_notify_within": "GSOMIA_INCIDENT_NOTIFY_WITHIN",
    "incident_investigate_within": "GSOMIA_INCIDENT_INVESTIGATE_WITHIN",
    "incident_conclude_within": "GSOMIA_INCIDENT_CONCLUDE_WITHIN",
    "stix_tlp": "GSOMIA_STIX_TLP",
}


def default_database() -> str:
    """A SQLite file in the user's data directory."""
    return f"sqlite:///{Path(platformdirs.user_data_dir('gsomia')) / 'gsomia.db'}"


def default_config() -> Path:
    return Path(platformdirs.user_config_dir("gsomia")) / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Everything a node needs to know before it opens its registry."""

    database: str
    content_dir: Path | None = None
    party: str | None = None
    """The party this node is for: given to init, and checked against the registry after."""
    time_zone: str | None = None
    passphrase: bytes | None = field(default=None, repr=False)
    passphrase_file: Path | None = None
    busy_timeout: float = 30.0
    config_file: Path | None = None
    """The config file that was read, if any."""
    incident_deadlines: Deadlines = field(default_factory=Deadlines)
    """The periods of practice for a case of loss or compromise (Art 17 says "immediately")."""
    stix_tlp: str | None = None
    """The TLP 2.0 label STIX exports add to each equivalent level, as national practice sets
    it (the agreements name no TLP): `SECRET=amber+strict,CONFIDENTIAL=amber`."""

    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from `flags` (None values ignored), the environment and the config file."""
        environ = os.environ if environ is None else environ
        given = {k: v for k, v in (flags or {}).items() if v is not None}
        config_path = given.pop("config", None) or environ.get("GSOMIA_CONFIG")
        config, config_file = _config(Path(config_path) if config_path else None)
        values: dict[str, Any] = {}
        for key in _KEYS:
            if key in given:
                values[key] = given[key]
            elif environ.get(ENVIRONMENT[key]):
                values[key] = environ[ENVIRONMENT[key]]
            elif key in config:
                values[key] = config[key]
        return cls(
            database=str(values.get("database") or default_database()),
            content_dir=_path(values.get("content_dir")),
            party=str(values["party"]).strip().upper() if values.get("party") else None,
            time_zone=str(values["time_zone"]) if values.get("time_zone") else None,
            passphrase=environ["GSOMIA_PASSPHRASE"].encode()
            if environ.get("GSOMIA_PASSPHRASE")
            else None,
            passphrase_file=_path(values.get("passphrase_file")),
            busy_timeout=_seconds(values.get("busy_timeout", 30.0)),
            config_file=config_file,
            incident_deadlines=_deadlines(values),
            stix_tlp=str(values["stix_tlp"]) if values.get("stix_tlp") else None,
        )

    def read_passphrase(self) -> bytes | None:
        """The passphrase from the environment, or from the passphrase file (which must be
        readable by its owner only); None when neither gives one."""
        if self.passphrase:
            return self.passphrase
        if self.passphrase_file is None:
            return None
        try:
            info = self.passphrase_file.stat()
            if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise InvalidRequest(
                    f"the passphrase file {self.passphrase_file} is readable by others; "
                    "make it readable by its owner only (mode 600)",
                    subject="passphrase",
                )
            text = self.passphrase_file.read_bytes()
        except OSError as exc:
            raise InvalidRequest(
                f"cannot read the passphrase file {self.passphrase_file}: {exc.strerror}",
                subject="passphrase",
            ) from None
        return text.rstrip(b"\r\n") or None


def _config(path: Path | None) -> tuple[dict[str, Any], Path | None]:
    explicit = path is not None
    path = path or default_config()
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        if explicit:
            raise InvalidRequest(f"no config file at {path}") from None
        return {}, None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidRequest(f"cannot read the config file {path}: {exc}") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise InvalidRequest(
            f"unknown key {unknown[0]!r} in {path}; known keys: {', '.join(_KEYS)}"
        )
    return data, path


def _path(value: Any) -> Path | None:
    return Path(str(value)).expanduser() if value else None


def _deadlines(values: Mapping[str, Any]) -> Deadlines:
    """The incident periods given (ISO 8601 durations), the defaults for the others."""
    default = Deadlines()
    periods = {
        key: parse_period(str(values[key])) if values.get(key) else None for key in _INCIDENT_KEYS
    }
    return Deadlines(
        notify=periods["incident_notify_within"] or default.notify,
        investigate=periods["incident_investigate_within"] or default.investigate,
        conclude=periods["incident_conclude_within"] or default.conclude,
    )


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InvalidRequest(f"busy_timeout must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= 3600:
        raise InvalidRequest("busy_timeout must lie between 0 and 3600 seconds")
    return seconds
