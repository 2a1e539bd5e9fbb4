"""Reading markings in a party's scheme (Art 4 names the markings both sides use)."""

import unicodedata

import pytest

from gsomia.core.errors import UnknownMarking
from gsomia.core.markings import at_or_above, marking_key


def _scheme(schemes, party):
    return next(s for s in schemes if s.party == party)


@pytest.mark.parametrize(
    "text",
    [
        "군사Ⅱ급비밀",
        "GUNSA Ⅱ-KUP BI MIL",
        "gunsa ii-kup bi mil",
        "GUNSA II KUP BI MIL",
        "SECRET",
        "secret",
    ],
)
def test_korean_grade_two_reads_from_native_romanised_english_and_ascii_numerals(schemes, text):
    assert _scheme(schemes, "KOR").read(text).marking == "군사Ⅱ급비밀"


def test_decomposed_hangul_is_read_as_its_nfc_form(schemes):
    decomposed = unicodedata.normalize("NFD", "군사Ⅲ급비밀")
    assert decomposed != "군사Ⅲ급비밀"
    assert _scheme(schemes, "KOR").read(decomposed).english == "CONFIDENTIAL"


def test_japanese_secret_reads_as_gokuhi_and_tokutei_himitsu_is_its_own_marking(schemes):
    jpn = _scheme(schemes, "JPN")
    assert jpn.read("SECRET").marking == "極秘"
    assert jpn.read("tokutei himitsu").marking == "特定秘密"
    assert jpn.read("特定秘密").rank == jpn.read("極秘").rank


def test_unknown_marking_lists_the_schemes_markings(schemes):
    with pytest.raises(UnknownMarking) as error:
        _scheme(schemes, "KOR").read("kimitsu")
    assert "군사Ⅰ급비밀" in error.value.message
    assert "군사Ⅲ급비밀" in error.value.message


def test_marking_key_folds_roman_numeral_characters():
    assert marking_key("GUNSA Ⅲ-KUP") == marking_key("gunsa iii kup")


def test_levels_of_different_schemes_are_never_compared_by_rank(schemes):
    with pytest.raises(ValueError, match="cannot compare"):
        at_or_above(_scheme(schemes, "KOR").read("SECRET"), _scheme(schemes, "JPN").read("SECRET"))
