"""The risk questionnaire: content, scoring bands and free-text answers."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.questionnaire import (
    KNOCK_OUT,
    LEVEL_BANDS,
    MAX_POINTS,
    MIN_POINTS,
    QUESTIONS,
    QUESTIONS_BY_ID,
    parse_answer,
    score_answers,
)


def _answers(pick):
    """pick(question) -> option; the answers for every question."""
    return {q.id: pick(q).id for q in QUESTIONS}


def test_the_questionnaire_covers_what_the_issue_asks():
    assert 6 <= len(QUESTIONS) <= 8
    assert {"age_band", "horizon", "experience", "loss_tolerance", "income_stability", "asset_share", "goal"} <= set(QUESTIONS_BY_ID)
    for question in QUESTIONS:
        assert question.text_zh and question.text_en
        assert len({o.id for o in question.options}) == len(question.options) >= 3
        for option in question.options:
            assert option.label_zh and option.label_en and option.points >= 1
        assert len({o.points for o in question.options}) == len(question.options), "each option scores differently"


def test_lowest_and_highest_answers_give_c1_and_c5():
    lowest = score_answers(_answers(lambda q: min(q.options, key=lambda o: o.points)))
    highest = score_answers(_answers(lambda q: max(q.options, key=lambda o: o.points)))
    assert (lowest.total_points, lowest.risk_level) == (MIN_POINTS, "C1")
    assert (highest.total_points, highest.risk_level) == (MAX_POINTS, "C5")
    assert sum(highest.per_question.values()) == highest.total_points


def test_every_total_maps_to_its_band():
    # Enumerate all answer combinations once: each total lands in the band its bounds say.
    seen = set()
    for combo in itertools.product(*[q.options for q in QUESTIONS]):
        answers = {q.id: o.id for q, o in zip(QUESTIONS, combo)}
        if answers["loss_tolerance"] == "none":
            continue  # knock-out, tested below
        score = score_answers(answers)
        if score.total_points in seen:
            continue
        seen.add(score.total_points)
        expected = next(level for lowest, level in LEVEL_BANDS if score.total_points >= lowest)
        assert score.risk_level == expected
    assert {11, 12, 16, 17, 21, 22, 25, 26} <= seen  # both sides of every band edge are reachable


def test_no_loss_at_all_means_c1_whatever_else():
    answers = _answers(lambda q: max(q.options, key=lambda o: o.points))
    answers["loss_tolerance"] = "none"
    score = score_answers(answers)
    assert score.total_points >= 22 and score.risk_level == "C1" and score.knocked_out_by == "loss_tolerance"
    assert KNOCK_OUT == (("loss_tolerance", "none", "C1"),)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_riskier_answer_never_lowers_the_level(data):
    by_points = {q.id: sorted(q.options, key=lambda o: o.points) for q in QUESTIONS}
    picks = {q.id: data.draw(st.integers(0, len(q.options) - 1), label=q.id) for q in QUESTIONS}
    question = data.draw(st.sampled_from(QUESTIONS))
    before = score_answers({q.id: by_points[q.id][picks[q.id]].id for q in QUESTIONS})
    picks[question.id] = min(picks[question.id] + 1, len(question.options) - 1)
    after = score_answers({q.id: by_points[q.id][picks[q.id]].id for q in QUESTIONS})
    assert after.total_points >= before.total_points
    assert int(after.risk_level[1]) >= int(before.risk_level[1])


def test_missing_or_unknown_answers_name_the_question():
    answers = _answers(lambda q: q.options[0])
    del answers["goal"]
    with pytest.raises(ValueError, match="'goal'"):
        score_answers(answers)
    answers = _answers(lambda q: q.options[0])
    answers["horizon"] = "forever"
    with pytest.raises(ValueError, match="forever.*'horizon'"):
        score_answers(answers)
    answers = _answers(lambda q: q.options[0])
    answers["favourite_colour"] = "blue"
    with pytest.raises(ValueError, match="favourite_colour"):
        score_answers(answers)


# ---- free-text answers -------------------------------------------------------
def test_every_option_label_parses_back_to_its_option():
    for question in QUESTIONS:
        for option in question.options:
            assert parse_answer(question.id, option.label_zh, "zh") == option.id, option.label_zh
            assert parse_answer(question.id, option.label_en, "en") == option.id, option.label_en


@pytest.mark.parametrize(
    "question_id, text, language, expected",
    [
        # by position
        ("horizon", "2", "zh", "1_3y"),
        ("horizon", "第二个", "zh", "1_3y"),
        ("horizon", "第2个", "zh", "1_3y"),
        ("horizon", "二", "zh", "1_3y"),
        ("horizon", "B", "en", "1_3y"),
        ("horizon", "选b", "zh", "1_3y"),
        ("horizon", "(b)", "en", "1_3y"),
        ("horizon", "the second one", "en", "1_3y"),
        ("loss_tolerance", "5", "en", "over_30"),
        # by keyword or number, Chinese / English / mixed
        ("horizon", "三年", "zh", "3_5y"),
        ("horizon", "半年", "zh", "under_1y"),
        ("horizon", "十八个月", "zh", "1_3y"),
        ("horizon", "大概 2 years 吧", "zh", "1_3y"),
        ("horizon", "long term", "en", "over_5y"),
        ("horizon", "5年以上", "zh", "over_5y"),
        ("age_band", "我今年62岁", "zh", "over_60"),
        ("age_band", "35", "en", "31_45"),
        ("age_band", "I'm 28 years old", "en", "18_30"),
        ("loss_tolerance", "最多亏10%", "zh", "up_to_15"),
        ("loss_tolerance", "不能接受任何亏损", "zh", "none"),
        ("loss_tolerance", "I can't lose anything", "en", "none"),
        ("loss_tolerance", "亏三成也可以", "zh", "up_to_30"),
        ("loss_tolerance", "more than 30%", "en", "over_30"),
        ("income_stability", "不稳定", "zh", "unstable"),
        ("income_stability", "非常稳定", "zh", "very_stable"),
        ("income_stability", "pretty stable, I get a salary", "en", "stable"),
        ("experience", "买过股票基金", "zh", "funds_bonds"),
        ("experience", "我炒股好几年了", "zh", "stocks_derivatives"),
        ("asset_share", "30%", "zh", "25_50"),
        ("asset_share", "most of it", "en", "over_50"),
        ("goal", "想要高收益", "zh", "growth"),
        ("goal", "I want to beat deposits", "en", "income"),
    ],
)
def test_parse_answer(question_id, text, language, expected):
    assert parse_answer(question_id, text, language) == expected


@pytest.mark.parametrize(
    "question_id, text",
    [
        ("goal", "banana"),
        ("goal", ""),
        ("goal", "   "),
        ("goal", "5"),            # only 4 options
        ("horizon", "E"),         # only 4 options
        ("experience", "嗯"),
        ("age_band", "12"),       # not an adult age, not an option number
        ("income_stability", "stable or unstable"),  # contradicts itself: equal-length hits
    ],
)
def test_nonsense_gives_none_so_the_form_asks_again(question_id, text):
    assert parse_answer(question_id, text, "en") is None


def test_unknown_question_is_an_error():
    with pytest.raises(KeyError):
        parse_answer("shoe_size", "42", "en")
