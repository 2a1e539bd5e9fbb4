"""The node context: opened once, never creating or migrating; caches that follow the
registry's generation; settings read once and checked against the registry."""

import pytest
from sqlalchemy import create_engine, text

from gsomia.core.agreements import EventKind
from gsomia.errors import Conflict, DatabaseUnavailable, InvalidRequest, SchemaOutdated
from gsomia.node import queries
from gsomia.node.commands import lifecycle, setup, whatif
from gsomia.node.context import Node
from gsomia.node.settings import Settings
from tests.conftest import make_node

GSOMIA = "KOR-JPN-GSOMIA-2016"


def test_opening_never_creates_a_registry(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        Node.open(Settings(database=f"sqlite:///{tmp_path / 'none.db'}"))
    assert not (tmp_path / "none.db").exists()


def test_a_registry_at_an_older_schema_names_the_way_forward(db_url):
    make_node(db_url).close()
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    engine.dispose()
    with pytest.raises(SchemaOutdated, match="schema 0002") as refused:
        Node.open(Settings(database=db_url))
    assert refused.value.subject == "schema"


def test_a_notice_recorded_by_another_process_is_seen_by_the_next_decision(db_url):
    """Caches follow the generation: no process decides on stale agreements."""
    first = make_node(db_url)
    second = Node.open(Settings(database=db_url))
    at = "2019-11-23T00:00+09:00"
    assert whatif.release(second, "KOR", "JPN", "II", "nk-missile", at).allowed
    lifecycle.record_event(first, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    assert not whatif.release(second, "KOR", "JPN", "II", "nk-missile", at).allowed
    first.close()
    second.close()


def test_the_generation_grows_only_with_what_the_caches_hold(node):
    def generation():
        with node.read() as tx:
            return tx._generation

    before = generation()
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    after_event = generation()
    assert after_event == before + 1
    queries.persons(node)
    assert generation() == after_event


def test_init_on_a_registry_of_another_party_is_refused_and_changes_nothing(node):
    with pytest.raises(Conflict, match="belongs to KOR"):
        setup.init(node, "0003", "JPN", None)
    with node.read() as tx:
        assert tx.party == "KOR"


def test_settings_naming_another_party_than_the_registry_are_refused(db_url):
    make_node(db_url).close()
    with pytest.raises(Conflict, match="belongs to KOR, but the settings name JPN"):
        Node.open(Settings(database=db_url, party="JPN"))


def test_two_inits_at_once_take_turns_and_agree(db_url):
    import concurrent.futures

    def init(_):
        node, before = Node.create(Settings(database=db_url))
        with node:
            return setup.init(node, before, "KOR", "Asia/Seoul")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        views = list(pool.map(init, range(2)))
    added = sorted(v.loaded["agreements"]["added"] for v in views)
    assert added == [0, 4]
    assert all(v.party == "KOR" for v in views)


def test_settings_come_from_flags_then_environment_then_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('database = "sqlite:///from-config.db"\nparty = "jpn"\nbusy_timeout = 5\n')
    environ = {"GSOMIA_CONFIG": str(config), "GSOMIA_PARTY": "usa"}
    loaded = Settings.load({"database": "sqlite:///from-flag.db"}, environ)
    assert loaded.database == "sqlite:///from-flag.db"
    assert loaded.party == "USA"
    assert loaded.busy_timeout == 5
    assert loaded.config_file == config


@pytest.mark.parametrize(
    ("content", "message"),
    [("colour = 1\n", "unknown key 'colour'"), ("busy_timeout = -1\n", "between 0 and 3600")],
)
def test_a_bad_config_file_is_one_clear_error(tmp_path, content, message):
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(InvalidRequest, match=message):
        Settings.load({}, {"GSOMIA_CONFIG": str(config)})


def test_a_passphrase_file_readable_by_others_is_refused(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("a long enough passphrase\n")
    secret.chmod(0o644)
    settings = Settings.load({}, {"GSOMIA_PASSPHRASE_FILE": str(secret)})
    with pytest.raises(InvalidRequest, match="readable by others"):
        settings.read_passphrase()
    secret.chmod(0o600)
    assert settings.read_passphrase() == b"a long enough passphrase"
