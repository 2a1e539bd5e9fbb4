"""After the lapse the Korea–Japan GSOMIA never suffered (the counterfactual of November 2019,
a notice that stood): a Korean item reaches Japan only through the United States under TISA,
with Korea's approval, verified end to end."""

from __future__ import annotations

import pytest

from tests.federation.conftest import Federation

pytestmark = pytest.mark.xdist_group("federation-relay")

GSOMIA = "KOR-JPN-GSOMIA-2016"
AFTER = "2019-12-02"


def test_a_korean_item_reaches_japan_through_the_united_states_with_koreas_consent(
    federation: Federation,
):
    kor, jpn, usa = federation["KOR"], federation["JPN"], federation["USA"]
    kor.run("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    federation.wait(lambda: federation.settled("KOR"), what="the note to JPN")
    assert jpn.run("agreement", "status", GSOMIA, "--at", AFTER, "--json").json["state"] == (
        "terminated"
    )
    made = kor.run(
        "item",
        "register",
        "--title",
        "KN-25 salvo tracking",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2019-12-01",
        "--json",
    ).json
    reference = made["reference"]
    direct = kor.run("item", "release", reference, "--to", "JPN", "--at", AFTER, check=False)
    assert direct.code == 1 and "agreement_not_in_force" in direct.stdout
    relayed = kor.run(
        "item", "release", reference, "--to", "USA", "--for", "JPN", "--at", AFTER, "--json"
    ).json
    assert relayed["allowed"] and relayed["agreement"] == "USA-KOR-SA-1987"

    def arrived() -> bool:
        listed = jpn.run("item", "list", "--originator", "KOR", "--json").json
        return any(i["originator_reference"] == reference for i in listed)

    federation.wait(arrived, seconds=90, what="the relayed copy at JPN")
    at_usa = next(
        i
        for i in usa.run("item", "list", "--originator", "KOR", "--json").json
        if i["originator_reference"] == reference
    )
    assert (at_usa["holder_marking"], at_usa["received_from"]) == ("SECRET", "KOR")
    at_jpn = next(
        i
        for i in jpn.run("item", "list", "--originator", "KOR", "--json").json
        if i["originator_reference"] == reference
    )
    assert (at_jpn["holder_marking"], at_jpn["received_from"]) == ("極秘", "USA")
    custody = jpn.run("item", "custody", at_jpn["reference"], "--json").json
    assert [(h["from"], h["to"]) for h in custody["hops"]] == [("KOR", "USA"), ("USA", "JPN")]
    usa_custody = usa.run("item", "custody", at_usa["reference"], "--json").json
    assert [(h["from"], h["to"], h["receipt_verified"]) for h in usa_custody["hops"]][-1] == (
        "USA",
        "JPN",
        True,
    )


def test_a_relay_without_the_originators_consent_is_refused_by_the_final_recipient(
    federation: Federation,
):
    kor, jpn, usa = federation["KOR"], federation["JPN"], federation["USA"]
    made = kor.run(
        "item",
        "register",
        "--title",
        "Hwasong-18 launch data",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2019-12-05",
        "--json",
    ).json
    reference = made["reference"]
    kor.run("item", "release", reference, "--to", "USA", "--at", "2019-12-05")

    def held_by_usa() -> str | None:
        for item in usa.run("item", "list", "--originator", "KOR", "--json").json:
            if item["originator_reference"] == reference:
                return str(item["reference"])
        return None

    federation.wait(lambda: held_by_usa() is not None, what="the copy at USA")
    copy = held_by_usa()
    assert copy is not None
    refused = usa.run("item", "transfer", copy, "--to", "JPN", "--at", "2019-12-06", check=False)
    assert refused.code == 1 and "consent_missing" in refused.stdout
    assert reference not in {
        i["originator_reference"] for i in jpn.run("item", "list", "--json").json
    }
