"""`gsomia export stix [--since T] [--for PARTY] [--at T] -o FILE|- [--json]`: the contract."""

import json
import os

import stix2

from gsomia.formats import stix
from tests.cli.test_bad_input import assert_one_line_error


def register(gsomia, marking, at="2017-03-01", title="Missile"):
    return gsomia(
        "item", "register", "--title", title, "--marking", marking,
        "--topic", "nk-missile", "--at", at, "--json",
    ).json  # fmt: skip


def test_export_writes_a_valid_owner_only_bundle_of_what_the_partner_may_see(gsomia, tmp_path):
    gsomia("init", "--party", "KOR")
    secret = register(gsomia, "군사Ⅱ급비밀")
    grade_one = register(gsomia, "군사Ⅰ급비밀", title="Grade I")
    target = tmp_path / "bundle.json"
    done = gsomia(
        "export", "stix", "--for", "JPN", "--at", "2018-01-01", "-o", str(target), "--json"
    )
    assert done.code == 0, done.stderr
    assert {"party", "recipient", "at", "since", "output", "exported", "withheld"} <= set(done.json)
    assert [e["item"] for e in done.json["exported"]] == [secret["reference"]]
    [withheld] = done.json["withheld"]
    assert withheld["item"] == grade_one["reference"]
    assert "level_not_covered" in {r["code"] for r in withheld["reasons"]}
    assert os.stat(target).st_mode & 0o077 == 0
    text = target.read_text(encoding="utf-8")
    stix2.parse(text, allow_custom=False)
    assert [i.marking for i in stix.read_bundle(text).items] == ["極秘"]
    logged = gsomia("decision", "list", "--kind", "export", "--json").json
    assert sorted(d["allowed"] for d in logged) == [False, True]


def test_export_to_standard_output_prints_the_bundle_alone(gsomia):
    gsomia("init", "--party", "KOR")
    register(gsomia, "군사Ⅱ급비밀")
    done = gsomia("export", "stix", "--for", "JPN", "--at", "2018-01-01", "-o", "-")
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["type"] == "bundle"


def test_the_summary_names_what_was_withheld_and_why(gsomia, tmp_path):
    gsomia("init", "--party", "KOR")
    withheld = register(gsomia, "군사Ⅰ급비밀")
    target = tmp_path / "b.json"
    done = gsomia("export", "stix", "--for", "JPN", "--at", "2018-01-01", "-o", str(target))
    assert done.code == 0
    assert "wrote 0 item(s) for JPN" in done.stdout
    assert f"withheld {withheld['reference']}: level_not_covered" in done.stdout


def test_since_keeps_only_later_items(gsomia, tmp_path):
    gsomia("init", "--party", "KOR")
    register(gsomia, "군사Ⅱ급비밀", at="2017-03-01")
    later = register(gsomia, "군사Ⅱ급비밀", at="2017-09-01")
    done = gsomia(
        "export", "stix", "--for", "JPN", "--since", "2017-06-01", "--at", "2018-01-01",
        "-o", str(tmp_path / "b.json"), "--json",
    )  # fmt: skip
    assert [e["item"] for e in done.json["exported"]] == [later["reference"]]


def test_an_unknown_party_is_exit_2_and_writes_nothing(gsomia, tmp_path):
    gsomia("init", "--party", "KOR")
    target = tmp_path / "b.json"
    result = gsomia("export", "stix", "--for", "PRK", "-o", str(target))
    assert_one_line_error(result, "PRK")
    assert not target.exists()


def test_a_bad_instant_is_exit_2(gsomia, tmp_path):
    gsomia("init", "--party", "KOR")
    result = gsomia("export", "stix", "--since", "yesterday", "-o", str(tmp_path / "b.json"))
    assert_one_line_error(result, "yesterday")


def test_json_and_standard_output_together_are_refused(gsomia):
    gsomia("init", "--party", "KOR")
    assert_one_line_error(gsomia("export", "stix", "-o", "-", "--json"), "-o")


def test_the_output_option_is_required(gsomia):
    gsomia("init", "--party", "KOR")
    result = gsomia("export", "stix", "--for", "JPN")
    assert result.code == 2
    assert "-o" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_tlp_setting_is_exit_2(gsomia, tmp_path, monkeypatch):
    gsomia("init", "--party", "KOR")
    monkeypatch.setenv("GSOMIA_STIX_TLP", "SECRET=purple")
    result = gsomia("export", "stix", "--for", "JPN", "-o", str(tmp_path / "b.json"))
    assert_one_line_error(result, "purple", "TLP")
