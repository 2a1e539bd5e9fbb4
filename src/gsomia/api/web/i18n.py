"""The web UI's languages: English, Korean and Japanese, from gettext catalogues.

The catalogues are the `.po` files under `locales/` (extracted from the templates with Babel,
`pybabel extract -F babel.cfg`); they are compiled in memory when first used, so no binary
catalogue is kept in the source tree. Each officer's language is their account's.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "gsomia"
LANGUAGES = {"en": "English", "ko": "한국어", "ja": "日本語"}


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language`; English (the source strings) for any other."""
    source = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as stream:
        catalog = read_po(stream, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def N_(message: str) -> str:
    """Mark a word the templates translate at run time (a state, an event), for extraction."""
    return message


WORDS = (
    N_("not in force"),
    N_("in force"),
    N_("termination notified"),
    N_("notice suspended"),
    N_("terminated"),
    N_("termination notice"),
    N_("notice reactivated"),
    N_("notice withdrawn"),
    N_("terminates"),
    N_("held"),
    N_("declassified"),
    N_("destroyed"),
    N_("returned"),
    N_("queued"),
    N_("delivered"),
    N_("failed"),
    N_("notify"),
    N_("investigate"),
    N_("conclude"),
    N_("met"),
    N_("late"),
    N_("pending"),
    N_("overdue"),
    N_("one-time"),
    N_("recurring"),
    N_("emergency"),
    N_("loss"),
    N_("compromise"),
    N_("possible-compromise"),
    N_("reported"),
    N_("investigating"),
    N_("concluded"),
)
"""The run-time words the catalogues translate."""
