"""The web UI's Korean and Japanese catalogues: made from the code as it is, and complete."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gsomia.api.web import i18n

KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[str]:
    found = extract_from_dir(str(i18n.LOCALES.parent), method_map=METHODS, keywords=KEYWORDS)
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def _catalogue(language: str):
    with (i18n.LOCALES / language / "LC_MESSAGES" / "gsomia.po").open("rb") as stream:
        return read_po(stream, locale=language)


def test_every_string_of_the_ui_is_translated_in_korean_and_japanese():
    wanted = _source_messages()
    assert "Log in" in wanted and "in force" in wanted
    for language in ("ko", "ja"):
        catalogue = _catalogue(language)
        have = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalogue if m.id}
        missing = sorted(wanted - {k for k, v in have.items() if v and any(v)})
        assert not missing, f"{language} lacks {missing}"


def test_the_catalogues_compile_and_translate():
    assert i18n.translations("ko").gettext("Log in") == "로그인"
    assert i18n.translations("ja").gettext("Log in") == "ログイン"
    assert i18n.translations("en").gettext("Log in") == "Log in"
    assert i18n.translations("ja").ngettext("%(num)d item", "%(num)d items", 3) == "文書%(num)d件"
