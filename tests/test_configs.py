"""The default config and the named configs in bot/configs/ stay in step.

Rasa configs cannot include one another, so bot/config.yml is a copy of the
named config that won the comparison (README "NLU models"). A copy that
drifts from its twin would make the README's figures describe a model
nobody trains.
"""
from __future__ import annotations

from pathlib import Path

import yaml

BOT = Path(__file__).resolve().parent.parent / "bot"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_default_config_is_a_copy_of_exactly_one_named_config():
    default = _load(BOT / "config.yml")
    twins = [p.stem for p in sorted((BOT / "configs").glob("*.yml")) if _load(p) == default]
    assert len(twins) == 1, f"bot/config.yml should equal exactly one of bot/configs/*.yml, equals {twins}"
    assert f"bot/configs/{twins[0]}.yml" in (BOT / "config.yml").read_text(encoding="utf-8"), (
        "bot/config.yml's comment should name its twin"
    )


def test_every_named_config_uses_our_tokenizer_and_a_fallback():
    for path in sorted((BOT / "configs").glob("*.yml")):
        names = [step["name"] for step in _load(path)["pipeline"]]
        assert names[0] == "bot.components.tokenizer.MixedLanguageTokenizer", path.name
        assert "FallbackClassifier" in names, path.name
