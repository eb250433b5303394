"""The risk questionnaire (风险测评): seven questions, points per answer, and the
customer level C1-C5 the total maps to.

The questionnaire is a versioned document the bank's compliance team signs
off, so its questions, points and bands live here together (bump
``QUESTIONNAIRE_VERSION`` on any change); the audit record stores the version.

Scoring:

- every question has 4-5 options worth 1-5 points; the total ranges from
  ``MIN_POINTS`` (7) to ``MAX_POINTS`` (29);
- ``LEVEL_BANDS`` maps the total to a level: 7-11 C1, 12-16 C2, 17-21 C3,
  22-25 C4, 26-29 C5;
- knock-out rule: a customer who accepts no loss at all is C1 whatever the
  total (``KNOCK_OUT``), because a C2+ product can lose money.

``parse_answer`` turns a free-text reply in the form (Chinese, English or
mixed) into an option id: an option number or letter ("2", "第二个", "B",
"the second one"), a keyword of an option ("3到5年", "more than half"), or
a number the question is about (an age, a duration, a percentage). It
returns None when it cannot tell, so the form can ask again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from recommender.schema import level_number

QUESTIONNAIRE_VERSION = "2025.1"


@dataclass(frozen=True)
class Option:
    id: str
    label_zh: str
    label_en: str
    points: int
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en


@dataclass(frozen=True)
class Question:
    id: str
    text_zh: str
    text_en: str
    options: tuple[Option, ...]
    # Which number in a reply answers it: "age" (years), "months" (a duration), "percent", or None.
    numeric: str | None = None

    def text(self, language: str) -> str:
        return self.text_zh if language == "zh" else self.text_en

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "age_band",
        "你的年龄是？",
        "How old are you?",
        (
            Option("18_30", "18-30 岁", "18 to 30", 4, ("30岁以下", "18到30", "二十多"), ("under 30", "in my twenties", "twenties")),
            Option("31_45", "31-45 岁", "31 to 45", 3, ("31到45", "三十多", "四十出头"), ("thirties", "early forties")),
            Option("46_60", "46-60 岁", "46 to 60", 2, ("46到60", "五十多"), ("fifties", "late forties")),
            Option("over_60", "60 岁以上", "over 60", 1, ("60岁以上", "六十多", "退休", "七十多"), ("over 60", "retired", "sixties", "seventies")),
        ),
        numeric="age",
    ),
    Question(
        "horizon",
        "这笔钱你打算投资多久？",
        "How long do you plan to keep this money invested?",
        (
            Option("under_1y", "1 年以内", "less than 1 year", 1, ("1年以内", "一年以内", "不到一年", "不到1年", "几个月", "短期"), ("less than a year", "less than 1 year", "under a year", "under 1 year", "within a year", "a few months", "short term")),
            Option("1_3y", "1 到 3 年", "1 to 3 years", 2, ("1到3年", "1-3年", "一到三年", "一两年", "两三年"), ("1 to 3 years", "1-3 years", "one to three years", "a couple of years")),
            Option("3_5y", "3 到 5 年", "3 to 5 years", 3, ("3到5年", "3-5年", "三到五年", "三五年", "中期"), ("3 to 5 years", "3-5 years", "three to five years", "medium term")),
            Option("over_5y", "5 年以上", "more than 5 years", 4, ("5年以上", "五年以上", "长期", "很多年", "退休用"), ("more than 5 years", "over 5 years", "more than five years", "long term", "long-term", "for retirement")),
        ),
        numeric="months",
    ),
    Question(
        "experience",
        "你有哪些投资经验？",
        "What investing experience do you have?",
        (
            Option("none", "没有投资经验", "none", 1, ("没有经验", "没投资过", "没有投资", "没买过", "无经验", "新手", "从来没有"), ("no experience", "never invested", "none", "beginner", "never")),
            Option("deposits", "只有存款或银行理财", "only deposits or bank wealth products", 2, ("存款", "定期", "银行理财", "理财产品", "储蓄"), ("deposits", "savings account", "wealth management product", "term deposit", "only savings")),
            Option("funds_bonds", "买过基金或债券", "funds or bonds", 3, ("基金", "债券", "国债", "股票基金", "指数基金"), ("funds", "mutual fund", "bonds", "treasury", "index fund", "equity fund")),
            Option("stocks_derivatives", "炒过股票、期货或其他衍生品", "stocks, futures or other derivatives", 4, ("股票", "炒股", "期货", "期权", "衍生品"), ("stocks", "shares", "equities", "futures", "options trading", "derivatives")),
        ),
    ),
    Question(
        "loss_tolerance",
        "一年内你最多能接受这笔投资亏损多少？",
        "Within a year, what is the largest loss on this money you could accept?",
        (
            Option("none", "不能接受任何亏损", "no loss at all", 1, ("不能接受任何亏损", "不能亏", "一分都不能亏", "不接受亏损", "不想亏", "不能接受亏损", "保本"), ("no loss", "can't lose", "cannot lose", "can not lose", "not lose any", "no losses", "can't accept any loss")),
            Option("up_to_5", "最多 5%", "up to 5%", 2, ("亏一点点", "少量亏损", "小亏"), ("a little", "a small loss", "small losses")),
            Option("up_to_15", "最多 15%", "up to 15%", 3, ("一成左右", "适度亏损"), ("a moderate loss", "moderate losses")),
            Option("up_to_30", "最多 30%", "up to 30%", 4, ("三成左右", "较大亏损"), ("a large loss", "large losses", "a big loss")),
            Option("over_30", "30% 以上也能接受", "more than 30%", 5, ("亏一半也行", "亏多少都行", "都能接受"), ("any loss", "whatever it takes", "more than 30", "over 30", "lose half")),
        ),
        numeric="percent",
    ),
    Question(
        "income_stability",
        "你的收入稳定吗？",
        "How stable is your income?",
        (
            Option("unstable", "不稳定或没有收入", "irregular or none", 1, ("不稳定", "没有收入", "没收入", "无收入", "失业"), ("irregular", "unstable", "no income", "unemployed", "not stable")),
            Option("somewhat_unstable", "有一定波动", "varies somewhat", 2, ("有波动", "有些波动", "一定波动", "时多时少", "不太稳定", "比较不稳定"), ("varies", "somewhat", "fluctuates", "not very stable", "up and down")),
            Option("stable", "稳定（如固定工资）", "stable (e.g. a salary)", 3, ("稳定", "固定工资", "有工资", "工资稳定"), ("stable", "steady", "regular salary", "fixed salary")),
            Option("very_stable", "非常稳定，还有其他收入来源", "very stable, with other sources", 4, ("非常稳定", "很稳定", "多种收入", "其他收入", "副业"), ("very stable", "very steady", "several sources", "multiple sources", "other income")),
        ),
    ),
    Question(
        "asset_share",
        "这笔投资占你全部金融资产的比例大约是？",
        "Roughly what share of all your financial assets is this investment?",
        (
            Option("over_50", "一半以上", "more than half", 1, ("一半以上", "超过一半", "大部分", "全部", "所有"), ("more than half", "over half", "most of it", "all of it", "everything")),
            Option("25_50", "四分之一到一半", "a quarter to a half", 2, ("四分之一到一半", "三分之一", "一半左右"), ("a quarter to a half", "about a third", "a third", "around half")),
            Option("10_25", "十分之一到四分之一", "a tenth to a quarter", 3, ("十分之一到四分之一", "一两成", "五分之一"), ("a tenth to a quarter", "about a fifth", "a fifth")),
            Option("under_10", "不到十分之一", "less than a tenth", 4, ("不到十分之一", "不到一成", "一小部分", "很少一部分"), ("less than a tenth", "a small part", "a small portion", "a tiny part")),
        ),
        numeric="percent",
    ),
    Question(
        "goal",
        "你投资的主要目标是？",
        "What is the main goal of this investment?",
        (
            Option("preserve", "保住本金", "keep the capital safe", 1, ("保住本金", "保值", "本金安全", "安全第一"), ("keep the capital safe", "preserve", "safety first", "protect my money", "capital preservation")),
            Option("income", "比存款多一点的稳定收益", "steady returns a bit above deposits", 2, ("稳定收益", "比存款高", "比存款多", "跑赢存款"), ("steady returns", "steady income", "beat deposits", "a bit more than deposits")),
            Option("balanced", "收益和风险平衡的增长", "balanced growth", 3, ("平衡", "稳健增长", "稳健"), ("balanced", "balance", "moderate growth")),
            Option("growth", "追求高收益，能承受大波动", "high growth, accepting big swings", 4, ("高收益", "高增长", "追求收益", "赚大钱", "激进"), ("high growth", "high returns", "maximum return", "maximise returns", "aggressive", "get rich")),
        ),
    ),
)

QUESTIONS_BY_ID = {q.id: q for q in QUESTIONS}
MIN_POINTS = sum(min(o.points for o in q.options) for q in QUESTIONS)
MAX_POINTS = sum(max(o.points for o in q.options) for q in QUESTIONS)
# (lowest total, level), highest band first.
LEVEL_BANDS: tuple[tuple[int, str], ...] = ((26, "C5"), (22, "C4"), (17, "C3"), (12, "C2"), (MIN_POINTS, "C1"))
# (question id, option id, the level it forces)
KNOCK_OUT: tuple[tuple[str, str, str], ...] = (("loss_tolerance", "none", "C1"),)


@dataclass(frozen=True)
class QuestionnaireScore:
    total_points: int
    risk_level: str                      # "C1".."C5"
    per_question: dict[str, int]         # question id -> points
    knocked_out_by: str | None = None    # question id whose answer forced the level, if any
    version: str = QUESTIONNAIRE_VERSION

    def to_dict(self) -> dict:
        return {
            "total_points": self.total_points,
            "risk_level": self.risk_level,
            "per_question": dict(self.per_question),
            "knocked_out_by": self.knocked_out_by,
            "version": self.version,
        }


def score_answers(answers: dict[str, str]) -> QuestionnaireScore:
    """Score a complete set of answers (question id -> option id).

    Raises ValueError naming the question for a missing answer, an unknown
    option, or an answer to a question that does not exist.
    """
    unknown = sorted(set(answers) - set(QUESTIONS_BY_ID))
    if unknown:
        raise ValueError(f"unknown question(s): {unknown}")
    per_question = {}
    for question in QUESTIONS:
        if question.id not in answers or answers[question.id] is None:
            raise ValueError(f"missing answer to question '{question.id}'")
        option = question.option(answers[question.id])
        if option is None:
            valid = [o.id for o in question.options]
            raise ValueError(
                f"unknown answer {answers[question.id]!r} to question '{question.id}' (valid: {valid})"
            )
        per_question[question.id] = option.points
    total = sum(per_question.values())
    level = next(level for lowest, level in LEVEL_BANDS if total >= lowest)
    knocked_out_by = None
    for question_id, option_id, forced_level in KNOCK_OUT:
        if answers[question_id] == option_id and level_number(forced_level) < level_number(level):
            level, knocked_out_by = forced_level, question_id
    return QuestionnaireScore(total, level, per_question, knocked_out_by)


# ---- parsing free-text answers -------------------------------------------------
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "half a": 0.5}

# Short replies that pick an option by position: "2", "B", "第二个", "选B", "option 2", "the second one".
_CHOICE = re.compile(
    r"^(?:我?选(?:择)?|答案是?|option|answer|choice|number|no\.?|the)?\s*"
    r"(?:第\s*(?P<cn_ord>[一二三四五1-5])\s*(?:个|项|条|种)?"
    r"|(?P<digit>[1-5])\s*(?:个|项|号)?"
    r"|(?P<cn>[一二三四五])\s*(?:个|项|号)?"
    r"|(?P<letter>[a-eA-E])"
    r"|(?P<en_ord>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)(?:\s+(?:one|option))?"
    r")\s*(?:吧|啦)?\s*[.。!！)）]?$",
    re.IGNORECASE,
)


def parse_answer(question_id: str, text: str, language: str) -> str | None:
    """The option id a free-text reply chooses, or None if it is unclear.

    Tries, in order: a position ("2", "B", "第二个", "the second one"); the
    options' keywords in both languages (``language`` breaks a tie between
    languages; otherwise the longest keyword wins, and a tie of different
    options means unclear); a number the question is about (age, duration,
    percentage). Raises KeyError for an unknown question id.
    """
    question = QUESTIONS_BY_ID[question_id]
    if not text or not text.strip():
        return None
    cleaned = text.strip().strip("“”\"'「」 ").lower()
    cleaned = cleaned.replace("（", "(").replace("）", ")").replace("％", "%")
    cleaned = re.sub(r"^[(（]\s*|\s*[)）]$", "", cleaned)

    position = _position(cleaned)
    if position is not None:
        return question.options[position - 1].id if position <= len(question.options) else None

    by_keyword = _match_keywords(question, cleaned, language)
    if by_keyword is not None:
        return by_keyword

    if question.numeric == "age":
        return _age_option(question, cleaned)
    if question.numeric == "months":
        return _horizon_option(question, cleaned)
    if question.numeric == "percent":
        return _percent_option(question, cleaned)
    return None


def _position(text: str) -> int | None:
    match = _CHOICE.match(text)
    if not match:
        return None
    if match.group("cn_ord"):
        value = match.group("cn_ord")
        return int(value) if value.isdigit() else _CN_DIGITS[value]
    if match.group("digit"):
        return int(match.group("digit"))
    if match.group("cn"):
        return _CN_DIGITS[match.group("cn")]
    if match.group("letter"):
        return ord(match.group("letter").lower()) - ord("a") + 1
    return _EN_ORDINALS[match.group("en_ord").lower()]


def _match_keywords(question: Question, text: str, language: str) -> str | None:
    """The one option whose keywords the reply contains.

    A keyword found inside a longer keyword's match does not count ("稳定"
    inside "不稳定", "stable" inside "very stable"). If different options
    remain, the reply's language decides when only one of them matched in
    it; otherwise the reply is unclear.
    """
    hits = []  # (start, end, option id, keyword language)
    for option in question.options:
        for keyword, kw_language in [(k, "zh") for k in option.keywords_zh] + [(k, "en") for k in option.keywords_en]:
            for match in _keyword_pattern(keyword.lower(), kw_language).finditer(text):
                hits.append((match.start(), match.end(), option.id, kw_language))
    kept = [
        h for h in hits
        if not any(o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0]) for o in hits)
    ]
    options = {h[2] for h in kept}
    if len(options) == 1:
        return options.pop()
    in_language = {h[2] for h in kept if h[3] == language}
    return in_language.pop() if len(in_language) == 1 else None


@lru_cache(maxsize=None)
def _keyword_pattern(keyword: str, kw_language: str) -> re.Pattern:
    if kw_language == "zh":
        # Chinese has no spaces between words, but replies often put some around numbers ("3 年").
        return re.compile(r"\s*".join(re.escape(ch) for ch in keyword if not ch.isspace()))
    return re.compile(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])")


def _number(token: str) -> float | None:
    """'35' / '2.5' / '三' / '十八' / '两' / 'three' -> number, else None."""
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    if token in _EN_NUMBERS:
        return float(_EN_NUMBERS[token])
    if token == "半":
        return 0.5
    if token and all(ch in _CN_DIGITS or ch == "十" for ch in token):
        if "十" in token:
            tens, _, ones = token.partition("十")
            return float((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0))
        if len(token) == 1:
            return float(_CN_DIGITS[token])
    return None


_NUMBER_TOKEN = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+|半|one|two|three|four|five|six|seven|eight|nine|ten|half a)"


def _age_option(question: Question, text: str) -> str | None:
    match = re.search(r"(\d{2,3})\s*(?:岁|周岁|years? old|yo\b)?", text)
    if not match:
        return None
    age = int(match.group(1))
    if not 18 <= age <= 120:
        return None
    bands = ((30, "18_30"), (45, "31_45"), (60, "46_60"), (120, "over_60"))
    return next(option_id for upper, option_id in bands if age <= upper)


def _horizon_option(question: Question, text: str) -> str | None:
    """A duration -> the band it falls in: < 12 months, 12-35, 36-59, >= 60."""
    match = re.search(_NUMBER_TOKEN + r"\s*(?:个)?\s*(年|years?|yrs?|个月|月|months?)", text)
    if not match:
        return None
    value = _number(match.group(1))
    if value is None:
        return None
    months = value * 12 if match.group(2) in ("年", "year", "years", "yr", "yrs") else value
    more_than = re.search(r"以上|多于|超过|more than|over|at least", text) is not None
    if months < 12 and not more_than:
        return "under_1y"
    if months < 36:
        return "1_3y"
    if months < 60:
        return "3_5y"
    return "over_5y"


def _percent_option(question: Question, text: str) -> str | None:
    match = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent|个点)", text)
    if match:
        percent = float(match.group(1))
    else:
        match = re.search(r"([一二两三四五六七八九])\s*成", text)
        if not match:
            return None
        percent = _CN_DIGITS[match.group(1)] * 10.0
    more_than = re.search(r"以上|多于|超过|more than|over|above", text) is not None
    if question.id == "loss_tolerance":
        if percent == 0:
            return "none"
        if more_than and percent >= 30:
            return "over_30"
        bands = ((5, "up_to_5"), (15, "up_to_15"), (30, "up_to_30"))
        return next((option_id for upper, option_id in bands if percent <= upper), "over_30")
    if question.id == "asset_share":
        if percent > 50 or (more_than and percent >= 50):
            return "over_50"
        if percent >= 25:
            return "25_50"
        if percent >= 10:
            return "10_25"
        return "under_10"
    return None
