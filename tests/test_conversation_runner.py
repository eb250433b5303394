"""The conversation test runner (`finbot test conversations`) and the suite in tests/conversations/.

Format validation and the checks run without a model. The suite itself runs
through the whole bot on the shared CI model: NLU, dialogue policies,
in-process actions, the recommender and a fresh demo database per
conversation; one test breaks the recommender on purpose and checks that the
conversations about it fail with a diff that says what broke.
"""
from __future__ import annotations

import dataclasses
import textwrap
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from bot.conversation_tests.checks import Observed, StepOutcome, check_step, resolve_path, same_value
from bot.conversation_tests.format import Step, load_file, load_paths
from bot.conversation_tests.report import render_step
from bot.conversation_tests.runner import StepResult

SUITE = Path(__file__).parent / "conversations"
SUITE_TODAY = date(2026, 3, 15)


def summary(lines: list[str]) -> str:
    """The "N passed, N failed" line of a run's output."""
    return next(line.strip() for line in reversed(lines) if " passed, " in line)


def write(tmp_path: Path, text: str, name: str = "conversations.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the format

VALID = """
today: 2026-03-15
conversations:
  - name: buying a fund
    customer: salaried_saver
    language: zh
    tags: [buying]
    steps:
      - user: 你好
        bot:
          action: utter_greet
      - user: 991001
        expect:
          entities: {fund_code: 000198, amount: 20000}
          slots: {q_age_band: 18_30, assessment_valid: true}
          text_contains: 请确认
          min_confidence: 0.5
"""


def test_a_valid_file_loads_with_its_lines_and_the_bank_s_meaning_of_numbers(tmp_path):
    conversations, errors = load_file(write(tmp_path, VALID))
    assert errors == []
    [conversation] = conversations
    assert (conversation.name, conversation.customer, conversation.language) == ("buying a fund", "salaried_saver",
                                                                                  "zh")
    assert conversation.today == date(2026, 3, 15) and conversation.line == 3 and conversation.tags == ["buying"]
    greet, buy = conversation.steps
    assert greet.expect == {"action": "utter_greet"}          # `bot:` is another name for `expect:`
    assert (greet.line, buy.line, buy.number) == (8, 11, 2)
    assert buy.user == "991001"                               # a message, although YAML reads a number
    assert buy.expect["entities"] == {"fund_code": "000198", "amount": 20000}   # a code keeps its zeros
    assert buy.expect["slots"] == {"q_age_band": "18_30", "assessment_valid": True}  # not the number 1830
    assert buy.expect["text_contains"] == ["请确认"]
    assert buy.check_lines["min_confidence"] == 16


MALFORMED = [
    ("unknown step key", """
        conversations:
          - name: a
            customer: retiree
            language: zh
            steps:
              - user: 你好
                expcet: {intent: greet}
        """, 7, "unknown step key `expcet`; did you mean `expect`?"),
    ("unknown check", """
        conversations:
          - name: a
            customer: retiree
            language: zh
            steps:
              - user: 你好
                expect:
                  intent: greet
                  text_contain: 你好
        """, 9, "unknown check key `text_contain`; did you mean `text_contains`?"),
    ("missing user", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: hi
              - expect: {intent: greet}
        """, 7, "step 2 has no `user:` message"),
    ("actions not a list", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: hi
                expect:
                  actions: {utter_greet: 1}
        """, 8, "`actions` must be a list of action names"),
    ("wrong language", """
        conversations:
          - name: a
            customer: retiree
            language: fr
            steps: [{user: bonjour}]
        """, 4, "`language` must be one of zh, en, mixed, not 'fr'"),
    ("missing steps", """
        conversations:
          - name: a
            customer: retiree
            language: en
        """, 2, "conversation is missing `steps:`"),
    ("impossible date", """
        conversations:
          - name: a
            customer: retiree
            language: en
            today: 2026-02-30
            steps: [{user: hi}]
        """, 5, "`today` must be a date YYYY-MM-DD"),
    ("confidence out of range", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: hi
                expect: {min_confidence: 2}
        """, 7, "`min_confidence` must be a number between 0 and 1"),
    ("bad regular expression", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: hi
                expect:
                  text_matches: "ticket (H"
        """, 8, "`text_matches` is not a valid regular expression"),
    ("duplicate name", """
        conversations:
          - {name: same, customer: retiree, language: en, steps: [{user: hi}]}
          - {name: same, customer: retiree, language: en, steps: [{user: bye}]}
        """, 3, "conversation name 'same' is already used on line 2"),
    ("missing fixture", """
        conversations:
          - name: a
            customer: fixtures/nobody.yml
            language: en
            steps: [{user: hi}]
        """, 3, "customer fixture file 'fixtures/nobody.yml' not found"),
    ("duplicate key", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: hi
                user: hello
        """, 7, "not valid YAML"),
    ("syntax error", """
        conversations:
          - name: a
            customer: retiree
            language: en
            steps:
              - user: [hi
        """, 7, "not valid YAML"),
    ("not a list of conversations", """
        conversations: hello
        """, 1, "`conversations` must be a non-empty list"),
]


@pytest.mark.parametrize("label,text,line,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_reported_with_its_line_and_what_is_wrong(tmp_path, label, text, line, message):
    path = write(tmp_path, text)
    conversations, errors = load_file(path)
    assert any(e.line == line and message in e.message for e in errors), [str(e) for e in errors]
    assert not any(c.line == line for c in conversations)  # the broken conversation is not run
    assert all(str(e).startswith(f"{path}:") for e in errors)


def test_one_bad_conversation_does_not_hide_the_others_or_the_other_problems(tmp_path):
    path = write(tmp_path, """
        conversations:
          - {name: good, customer: retiree, language: zh, steps: [{user: 你好}]}
          - name: bad
            customer: retiree
            language: de
            steps:
              - expect: {intent: greet}
        """)
    conversations, errors = load_file(path)
    assert [c.name for c in conversations] == ["good"]
    assert sorted((e.line, e.message.split(",")[0]) for e in errors) == [
        (5, "`language` must be one of zh"), (7, "step 1 has no `user:` message")]


def test_fixture_folders_are_not_read_as_conversations_and_the_suite_is_valid():
    loaded = load_paths([SUITE])
    assert loaded.errors == []
    assert all("fixtures" not in p.parts for p in loaded.files)
    conversations = loaded.conversations
    assert len(conversations) >= 60
    by_language = {lang: sum(c.language == lang for c in conversations) for lang in ("zh", "en", "mixed")}
    assert by_language["zh"] >= 20 and by_language["en"] >= 20 and by_language["mixed"] >= 8, by_language
    tags = {t for c in conversations for t in c.tags}
    flows = {"small_talk", "fallback", "money", "questionnaire", "recommendation", "explanation", "funds", "buying",
             "suitability", "faq", "handoff", "digression", "language", "unhappy", "fixture"}
    assert flows <= tags, flows - tags


def test_the_check_command_validates_without_a_model(tmp_path, capsys):
    from api.cli import main

    assert main(["test", "conversations", str(SUITE), "--check"]) == 0
    assert "0 format errors" in capsys.readouterr().out
    bad = write(tmp_path, "conversations:\n  - {name: a, customer: retiree, language: en, steps: [{usr: hi}]}\n")
    assert main(["test", "conversations", str(bad), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:2: unknown step key `usr`; did you mean `user`?" in out


# --------------------------------------------------------------------------- the checks


def observed(**overrides) -> Observed:
    values = dict(
        messages=[{"text": "请确认：买入 澄溪天天利货币A ¥10,000.00", "buttons": [{"title": "确认购买", "payload": "/affirm"}]},
                  {"custom": {"chart": {"kind": "allocation", "labels": ["a", "b"]}}}],
        intent={"name": "buy_fund", "confidence": 0.97},
        entities=[{"entity": "amount", "value": "10000.00"}, {"entity": "fund_code", "value": "991001"},
                  {"entity": "time_period", "value": {"start": "2026-02-01", "end": "2026-02-28", "label": "x"}}],
        actions=["action_prepare_purchase"], slots={"purchase_stage": "confirm", "language": "zh"}, latency_ms=120.0,
        language="zh")
    values.update(overrides)
    return Observed(**values)


def test_values_compare_as_the_bank_means_them():
    assert same_value(20000, "20000.00") and same_value("20000", "20000.00")
    assert not same_value(198, "000198") and same_value("000198", "000198")
    assert same_value(date(2026, 2, 1), "2026-02-01")
    assert same_value({"start": date(2026, 2, 1)}, {"start": "2026-02-01", "end": "2026-02-28"})
    assert same_value(None, None) and not same_value(None, "C2") and not same_value(True, "1")
    payload = {"chart": {"labels": ["a", "b", "c"]}}
    assert resolve_path(payload, "chart.labels.length") == 3 and resolve_path(payload, "chart.labels.-1") == "c"


def test_a_matching_step_has_no_mismatches():
    expect = {"intent": "buy_fund", "min_confidence": 0.9, "entities": {"amount": 10000, "fund_code": "991001",
                                                                         "time_period": {"start": date(2026, 2, 1)}},
              "action": "action_prepare_purchase", "actions": ["action_prepare_purchase"],
              "text_contains": ["请确认", "¥10,000.00"], "not_text_contains": ["已提交"], "text_matches": r"¥[\d,]+\.00",
              "slots": {"purchase_stage": "confirm", "purchase": None}, "buttons": ["确认购买", "/affirm"],
              "custom": {"chart.kind": "allocation", "chart.labels.length": 2}, "language": "zh", "max_ms": 500}
    assert check_step(expect, observed()) == []


def test_a_failing_step_reads_as_expected_against_got():
    expect = {"intent": "ask_fund_info", "action": "action_fund_info", "text_contains": ["风险等级 R1"],
              "entities": {"amount": 20000}, "custom": {"chart.labels.length": 3}, "max_ms": 50}
    got = observed()
    mismatches = check_step(expect, got)
    assert [m.check for m in mismatches] == ["intent", "action", "text_contains", "entities.amount",
                                             "custom.chart.labels.length", "max_ms"]
    step = Step(user="991001 怎么样", expect=expect, line=12, number=2)
    text = "\n".join(render_step(StepResult(step, got, StepOutcome(mismatches))))
    assert "✗ 2. 991001 怎么样   (line 12)" in text
    assert "intent" in text and "expected ask_fund_info" in text and "got      buy_fund (0.97)" in text
    assert "expected action_fund_info among the actions run" in text and "got      [action_prepare_purchase]" in text
    assert "expected the reply to contain '风险等级 R1'" in text
    assert "bot│ 请确认：买入 澄溪天天利货币A ¥10,000.00" in text


# --------------------------------------------------------------------------- the whole bot


@pytest.fixture(scope="module")
def bot_runtime(ci_model):
    """One loaded model for the runs below (loading takes several seconds)."""
    from bot.runtime import BotRuntime

    return BotRuntime(ci_model)


def in_process(ci_model, bot_runtime, tmp_path, policy=None):
    from bot.conversation_tests import InProcessBot

    return InProcessBot(ci_model, default_today=SUITE_TODAY, policy=policy, work_dir=tmp_path / "work",
                        runtime=bot_runtime)


@pytest.fixture(scope="module")
def suite_run(ci_model, bot_runtime, tmp_path_factory):
    """The whole suite, once: (outcome, printed lines, JUnit path)."""
    from bot.conversation_tests import run_suite

    tmp_path = tmp_path_factory.mktemp("suite")
    lines: list[str] = []
    junit = tmp_path / "junit.xml"
    outcome = run_suite([SUITE], in_process(ci_model, bot_runtime, tmp_path), junit=junit, out=lines.append)
    print("\n".join(lines[-15:]))  # the summary and timings, for the test log
    return outcome, lines, junit


def test_the_conversation_suite_passes_on_the_ci_model(suite_run):
    from bot.conversation_tests.report import render_conversation

    outcome, lines, _ = suite_run
    failures = "\n".join(render_conversation(r) for r in outcome.failed)
    assert outcome.exit_code == 0, failures
    assert len(outcome.results) >= 60 and outcome.format_errors == []
    assert summary(lines).startswith(f"{len(outcome.results)} passed, 0 failed"), summary(lines)


def test_the_suite_writes_junit_xml_for_ci(suite_run):
    outcome, _, junit = suite_run
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == len(outcome.results) and root.get("failures") == "0"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert {Path(name).name for name in suites} == {p.name for p in SUITE.glob("*.yml")}
    cases = list(root.iter("testcase"))
    assert {c.get("name") for c in cases} == {r.conversation.name for r in outcome.results}
    handoff = next(c for c in cases if c.get("name") == "en a customer asks for a person after a greeting")
    assert "user│ let me talk to a person" in handoff.find("system-out").text
    assert "ticket H" in handoff.find("system-out").text


def test_breaking_the_capacity_cap_fails_the_suitability_conversations_with_a_telling_diff(
        ci_model, bot_runtime, tmp_path):
    """Remove the recommender's capacity cap (every score allows C5): customers whose finances
    should hold them below their questionnaire level are no longer held there."""
    from bot.conversation_tests import run_suite
    from bot.conversation_tests.report import render_conversation
    from recommender.policy import DEFAULT_POLICY

    no_cap = dataclasses.replace(DEFAULT_POLICY, capacity=dataclasses.replace(DEFAULT_POLICY.capacity,
                                                                              cap_bands=((0.0, "C5"),)))
    lines: list[str] = []
    junit = tmp_path / "broken.xml"
    outcome = run_suite([SUITE], in_process(ci_model, bot_runtime, tmp_path, policy=no_cap), keyword="suitability",
                        junit=junit, out=lines.append)
    failed = {r.conversation.name for r in outcome.failed}
    assert failed == {"overspender asks for funds and is told to build a buffer first",
                      "en a freelancer's volatile income caps the suggestion below the questionnaire"}
    assert outcome.passed, "buying checks and the retiree's own C2 level do not depend on the capacity cap"
    assert outcome.exit_code == 1
    assert summary(lines).startswith(f"{len(outcome.passed)} passed, 2 failed")

    overspender = next(r for r in outcome.failed if r.conversation.customer == "overspender")
    diff = render_conversation(overspender)
    print(diff)
    assert "✗ 3. 三年   (line 22)" in diff
    assert "expected the reply to contain '有效风险等级 C2（谨慎型）'" in diff
    assert "bot│ 按你的情况（有效风险等级 C4（积极型））" in diff   # what the bot said instead
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "2"
    failure = next(c for c in root.iter("testcase") if c.get("name") == overspender.conversation.name).find("failure")
    assert failure.get("message").startswith("step 3: text_contains expected the reply to contain '有效风险等级 C2")


def test_names_the_model_does_not_know_are_format_errors_and_other_conversations_still_run(
        ci_model, bot_runtime, tmp_path):
    from bot.conversation_tests import run_suite

    path = write(tmp_path, """
        today: 2026-03-15
        conversations:
          - name: a typo in an action name
            customer: retiree
            language: zh
            steps:
              - user: 你好
                expect:
                  actions: [utter_gret]
          - name: a good one
            customer: retiree
            language: zh
            steps:
              - user: 你好
                expect: {actions: [utter_greet]}
        """)
    lines: list[str] = []
    outcome = run_suite([path], in_process(ci_model, bot_runtime, tmp_path), out=lines.append)
    assert [str(e) for e in outcome.format_errors] == [
        f"{path}:9: the model has no action 'utter_gret'; did you mean 'utter_greet'?"]
    assert [r.conversation.name for r in outcome.passed] == ["a good one"]
    assert outcome.exit_code == 1 and summary(lines).startswith("1 passed, 0 failed, 1 format error")


def test_the_command_line_runs_a_file_and_a_failure_does_not_stop_the_next_conversation(
        ci_model, tmp_path, capsys):
    from api.cli import main

    path = write(tmp_path, """
        today: 2026-03-15
        conversations:
          - name: expects the wrong reply
            customer: salaried_saver
            language: en
            steps:
              - user: what's my balance
                expect:
                  intent: ask_spending
                  text_contains: you spent
              - user: thanks
                expect: {intent: thank}
          - name: greets
            customer: salaried_saver
            language: en
            steps:
              - user: hi
                expect: {intent: greet, actions: [utter_greet]}
        """)
    junit = tmp_path / "out" / "junit.xml"
    code = main(["test", "conversations", str(path), "--model", str(ci_model), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 passed, 1 failed" in out
    assert "FAIL expects the wrong reply" in out and "PASS greets" in out
    assert "expected ask_spending" in out and "got      check_balance" in out
    assert "✓ 2. thanks" in out   # the steps after a failing one still ran
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")


def test_by_url_against_a_running_server(live_server, tmp_path):
    """Black box: the same files against POST /v1/chat of a real server (its own database and date)."""
    from bot.conversation_tests import RemoteBot, run_suite

    fixture_conversation = write(tmp_path, """
        conversations:
          - name: a fixture customer needs the in-process runner
            customer: fixtures/new_customer.yml
            language: zh
            steps: [{user: 你好}]
        """)
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "new_customer.yml").write_text(
        (SUITE / "fixtures" / "new_customer.yml").read_text(encoding="utf-8"), encoding="utf-8")
    lines: list[str] = []
    outcome = run_suite([SUITE / "faq.yml", SUITE / "handoff.yml", fixture_conversation],
                        RemoteBot(live_server.url, live_server.admin_key), out=lines.append)
    assert "its own database, model and date are used" in lines[0]
    errored = [r for r in outcome.results if r.error]
    assert [r.conversation.name for r in errored] == ["a fixture customer needs the in-process runner"]
    assert "need the in-process runner" in errored[0].error
    others = [r for r in outcome.results if not r.error]
    assert len(others) == 9 and all(r.passed for r in others), [r.conversation.name for r in others if not r.passed]
    assert all(s.observed.latency_ms > 0 for r in others for s in r.steps)
