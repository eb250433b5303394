"""Conversation tests: bot/tests/test_stories.yml must pass `rasa test core`.

Two kinds of test:

- ``test_every_conversation_test_story_passes`` (needs the trained test
  model) runs Rasa's own story evaluation, the same as
  ``rasa test core --stories bot/tests/test_stories.yml --model <ci model>``,
  and fails with the diff of every failed story. Intents and entities come
  from the stories, so this checks the dialogue policies (rules, stories,
  forms), not NLU.
- the fast tests read the story file only: every flow the dialogue data can
  take is covered in Chinese and in English, each story is in the language
  its name says.

The trained model comes from the session fixture ``ci_model`` (tests/conftest.py,
shared with the other tests that need a model, so a full run trains once).
"""
from __future__ import annotations

import asyncio
import os
import re

import pytest
import yaml

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot.training import CORE_DATA, DOMAIN, PROJECT_ROOT

TEST_STORIES = PROJECT_ROOT / "bot" / "tests" / "test_stories.yml"
RULES = CORE_DATA / "rules.yml"
TRAINING_STORIES = CORE_DATA / "stories.yml"
LANGUAGE_PREFIXES = ("zh", "en", "mixed")
FORMS = ("risk_questionnaire_form", "recommendation_form")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def load_test_stories() -> list[dict]:
    return yaml.safe_load(TEST_STORIES.read_text(encoding="utf-8"))["stories"]


def story_language(story: dict) -> str:
    return story["story"].split()[0]


def user_texts(story: dict) -> list[str]:
    return [_ANNOTATION.sub(r"\1", step["user"]).strip() for step in story["steps"] if "user" in step]


def base_intent(intent: str) -> str:
    return intent.split("/")[0]


def turns_inside_forms(story: dict) -> list[tuple[str, str, list[str]]]:
    """(active form, user intent, actions that answered it) for each user turn taken while a form was active."""
    turns = []
    active = None
    current = None
    for step in story["steps"]:
        if "user" in step:
            current = (active, base_intent(step["intent"]), []) if active else None
            if current:
                turns.append(current)
        elif "action" in step and current:
            current[2].append(step["action"])
        if "active_loop" in step:
            active = step["active_loop"]
    return turns


def dialogue_data_actions() -> set[str]:
    """Every action that bot/data's rules and stories can predict: each one is a flow to test."""
    actions = set()
    for path, key in ((RULES, "rules"), (TRAINING_STORIES, "stories")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))[key]:
            actions.update(step["action"] for step in item.get("steps", []) if "action" in step)
    return actions


def domain_intents() -> set[str]:
    return set(yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["intents"])


# ---- fast tests: what the story file covers ----------------------------------------


def test_every_story_is_named_by_its_language_and_written_in_it():
    stories = load_test_stories()
    names = [s["story"] for s in stories]
    assert len(names) == len(set(names)), "story names must be unique (failures are reported by name)"
    for story in stories:
        language = story_language(story)
        assert language in LANGUAGE_PREFIXES, f"{story['story']!r} should start with one of {LANGUAGE_PREFIXES}"
        texts = user_texts(story)
        assert texts, f"{story['story']!r} has no user turn"
        if language == "zh":
            assert all(_CJK.search(t) or not _LATIN_WORD.search(t) for t in texts), story["story"]
        elif language == "en":
            assert not any(_CJK.search(t) for t in texts), story["story"]
        else:  # mixed: at least one turn mixes Chinese with English words
            assert any(_CJK.search(t) and _LATIN_WORD.search(t) for t in texts), story["story"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_intent_and_every_dialogue_action_is_tested_in_each_language(language):
    stories = [s for s in load_test_stories() if story_language(s) == language]
    intents = {base_intent(step["intent"]) for s in stories for step in s["steps"] if "intent" in step}
    actions = {step["action"] for s in stories for step in s["steps"] if "action" in step}
    assert domain_intents() - intents == set()
    # A rule or story added to bot/data without a test story fails here.
    assert dialogue_data_actions() - actions == set()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_leaving_and_digressing_from_both_forms_is_tested_in_each_language(language):
    turns = [t for s in load_test_stories() if story_language(s) == language for t in turns_inside_forms(s)]
    seen = {(form, intent, actions[0] if actions else None) for form, intent, actions in turns}
    for form in FORMS:
        assert (form, "human_handoff", "action_human_handoff") in seen
        digressions = [actions for f, intent, actions in turns
                       if f == form and len(actions) >= 2 and actions[0] != form and actions[-1] == form]
        assert digressions, f"no question answered inside {form}, followed by the form again"
    assert ("risk_questionnaire_form", "goodbye", "action_cancel_forms") in seen
    assert ("recommendation_form", "deny", "action_cancel_forms") in seen


def test_there_are_mixed_language_conversations():
    assert sum(story_language(s) == "mixed" for s in load_test_stories()) >= 3


def test_every_conversation_test_story_passes(ci_model, tmp_path, monkeypatch):
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "rasa-cache"))
    from rasa.core.agent import Agent
    from rasa.core.test import test as evaluate_stories

    out = tmp_path / "results"
    out.mkdir()
    agent = Agent.load(model_path=str(ci_model))
    result = asyncio.run(evaluate_stories(str(TEST_STORIES), agent, out_directory=str(out), disable_plotting=True))

    conversations = result["report"]["conversation_accuracy"]
    failed = (out / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert conversations["total"] == len(load_test_stories()), "some test stories were not evaluated"
    assert conversations["correct"] == conversations["total"], (
        f"{conversations['total'] - conversations['correct']} of {conversations['total']} test stories failed "
        f"(each wrong prediction is marked '# predicted: ...'):\n{failed}")
    wrong_actions = [a for a in result["actions"] if a["action"] != a["predicted"]]
    assert wrong_actions == []
