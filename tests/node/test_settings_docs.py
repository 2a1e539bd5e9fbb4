"""The configuration documented is the configuration read."""

from pathlib import Path

from gsomia.node import settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_and_environment_variable_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for key, variable in settings.ENVIRONMENT.items():
        assert f"`{key}`" in text, key
        assert f"`{variable}`" in text, variable
    for variable in ("GSOMIA_PASSPHRASE", "GSOMIA_CONFIG"):
        assert f"`{variable}`" in text
