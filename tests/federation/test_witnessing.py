"""Nodes witness each other's ledgers: every checkpoint is cosigned by the peers' witnesses,
and a node whose history was rolled back is refused by them, visibly at both ends."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from gsomia.demo import forgery
from gsomia.store import tables
from tests.federation.conftest import Federation

pytestmark = pytest.mark.xdist_group("federation-witnessing")


def cosigned_by(federation: Federation, party: str) -> dict[str, int | None]:
    views = federation[party].run("ledger", "witnesses", "--json").json
    return {v["party"]: v["cosigned_size"] for v in views}


def test_checkpoints_are_cosigned_by_both_peers(federation: Federation):
    kor = federation["KOR"]
    kor.run("person", "add", "--name", "Kim", "--clearance", "II")
    size = kor.run("ledger", "head", "--json").json["size"]
    federation.wait(
        lambda: all((s or 0) >= size for s in cosigned_by(federation, "KOR").values()),
        what="KOR's checkpoint cosigned by JPN and USA",
    )
    head = kor.run("ledger", "head", "--cosigned").stdout
    assert "— gsomia/JPN/witness " in head and "— gsomia/USA/witness " in head
    jpn_view = {v["party"]: v for v in federation["JPN"].run("ledger", "witnesses", "--json").json}
    assert (jpn_view["KOR"]["witnessed_size"] or 0) >= size


def test_a_rolled_back_ledger_is_refused_by_the_witnesses_at_both_ends(federation: Federation):
    kor, jpn = federation["KOR"], federation["JPN"]
    for n in range(3):
        kor.run("person", "add", "--name", f"Witnessed {n}", "--clearance", "III")
    size = kor.run("ledger", "head", "--json").json["size"]
    federation.wait(
        lambda: (cosigned_by(federation, "KOR")["JPN"] or 0) >= size,
        what="JPN to cosign KOR's checkpoint",
    )
    kor.stop()
    forgery.roll_back_ledger(kor.database, size - 2)
    engine = create_engine(kor.database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(tables.ledger_entries)).scalar_one()
            == size - 2
        )
    engine.dispose()
    kor.start()
    kor.run("person", "add", "--name", "After the rollback", "--clearance", "III")

    def refused() -> bool:
        views = {v["party"]: v for v in kor.run("ledger", "witnesses", "--json").json}
        last = views["JPN"]["last_submission"]
        return last is not None and last["status"] in (409, 422)

    federation.wait(refused, what="JPN's witness to refuse KOR's rolled-back checkpoint")
    theirs = {v["party"]: v for v in jpn.run("ledger", "witnesses", "--json").json}["KOR"]
    assert theirs["last_witnessed"]["status"] in (409, 422)
    assert theirs["witnessed_size"] >= size  # the witness kept what it cosigned
