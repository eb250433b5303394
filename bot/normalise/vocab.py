"""Spending categories and fund types: customers' words -> the contract's values.

``canonical_category(text)`` returns one of ``SPENDING_CATEGORIES`` and
``canonical_fund_type(text)`` one of ``FUND_TYPES`` (both from
/work/shared/design/CONTRACT.md and ``recommender.schema``), or None.

Matching, in order (on ``numbers.fold``-ed text):

1. a synonym that occurs in the text: Chinese synonyms as substrings, English
   ones as whole words (a plural matches its singular: "restaurants",
   "taxis", "ETFs"; a possessive its word: "Uber's"). The longest synonym
   wins, then the earliest;
2. failing that, a typo: each English word of a synonym that is at least
   ``TYPO_MIN_LENGTH`` (5) letters long may be one edit away (insert, delete,
   substitute or swap two neighbours): "mony market fund", "idex fund",
   "resturants", "groceris".

Decisions that follow how the recommender labels transactions
(recommender/merchant_rules.py and recommender/mcc.py), so "how much on X"
adds up the same transactions the categoriser put under X:

* gym / fitness / 健身 -> entertainment (gyms share MCC 7997 with recreation);
* train tickets / 火车票 / 高铁 -> travel; taxis, metro, fuel, parking -> transport;
* books / 书 -> education (bookstores); phone bill / 话费 / internet -> utilities;
* an overseas index fund (标普500, 纳斯达克, "QDII指数") is qdii, not index: a
  qdii word anywhere in the text wins over the other fund types.

Finding them in a whole message (``find_categories``, ``find_fund_types``,
used by the Rasa component to add entities no extractor found) returns
``VocabMatch(start, end, value)`` spans of the original text, left to right,
and is stricter than naming one entity's text, because every word of a
message is a chance for a false match:

* the same matching (Chinese as substrings, English on word boundaries,
  case-insensitive), the longest span first, spans never overlap; the words of
  a multi-word synonym may be separated only by spaces, "-" or "_";
* a plural in the text matches a singular synonym ("restaurants"), but not
  the other way round: "book a flight" is no education, "bill" no utilities,
  "share" no equity (the tables list the singular where it is meant);
* typos only in words of at least ``SCAN_TYPO_MIN_LENGTH`` (7) letters, with
  the first and last letters right, and never a word the tables know or one
  of ``_NOT_TYPOS``: "resturants", "groceris" and "phramacy" are found, but
  "later" is not "water", "balance" not "balanced", "shipping" not "shopping";
* words that are a category only in context are not searched for: "other" /
  其他 (the *other* category; "other months" is not a category); nor is a
  synonym that overlaps a phrase such as "of course", 交通银行 or "the
  holidays" (``_SCAN_STOP_PHRASES``);
* next to each other (only spaces, "-", "·" or 的 between them), matches of
  one value become one span ("ETF联接基金"), and a qdii match takes its
  neighbours in ("标普500指数基金", "纳斯达克100指数", "QDII债基" are one qdii
  span): the qdii override above, within one phrase. Fund types further apart
  stay separate ("美股和债基": qdii and bond);
* "fund" / 基金 alone is no fund type (the tables do not list it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.normalise.numbers import MAX_ENTITY_CHARS, MAX_SCAN_CHARS, fold

SPENDING_CATEGORIES = (
    "dining", "groceries", "transport", "housing", "utilities", "shopping",
    "entertainment", "health", "education", "travel", "insurance", "other",
)
FUND_TYPES = ("money_market", "bond", "hybrid", "index", "equity", "qdii")
TYPO_MIN_LENGTH = 5
SCAN_TYPO_MIN_LENGTH = 7  # when searching a whole message (see the module docstring)

CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "dining": (
        "餐饮", "吃饭", "外卖", "饭钱", "下馆子", "奶茶", "咖啡", "吃喝", "聚餐", "餐厅", "饭店", "饭馆",
        "早餐", "早饭", "午餐", "午饭", "晚餐", "晚饭", "宵夜", "夜宵", "点外卖", "饿了么", "美团外卖",
        "火锅", "烧烤", "小吃", "快餐", "喝茶", "茶饮", "甜品", "下午茶", "吃的", "伙食",
        "dining", "dining out", "eating out", "eat out", "restaurant", "takeaway", "takeout", "take-out",
        "food delivery", "delivery food", "coffee", "cafe", "café", "food", "meals", "meal", "lunch",
        "dinner", "breakfast", "bubble tea", "milk tea", "snacks", "drinks", "bars", "bar", "pubs",
        "fast food", "starbucks", "mcdonalds", "kfc",
    ),
    "groceries": (
        "买菜", "超市", "生鲜", "菜市场", "日用品", "水果", "粮油", "便利店", "蔬菜", "杂货", "盒马", "叮咚买菜",
        "groceries", "grocery", "supermarket", "convenience store", "fresh food", "vegetables", "fruit",
        "household supplies", "costco", "walmart", "food shopping", "grocery shopping", "weekly shop",
    ),
    "transport": (
        "交通", "打车", "打的", "地铁", "公交", "加油", "油费", "滴滴", "停车", "停车费", "出租车", "的士",
        "网约车", "共享单车", "单车", "过路费", "高速费", "充电", "通勤", "车费", "养车",
        "transport", "transportation", "taxi", "taxis", "cab", "uber", "didi", "lyft", "fuel", "petrol", "gas station",
        "gasoline", "metro", "subway", "underground", "bus", "bus fare", "parking", "tolls", "toll",
        "commute", "commuting", "car expenses", "ev charging",
    ),
    "housing": (
        "住房", "房租", "租金", "房贷", "按揭", "月供", "物业", "物业费", "住宿费用", "房东",
        "housing", "rent", "mortgage", "landlord", "property management", "property fee", "home loan",
        "hoa", "strata",
    ),
    "utilities": (
        "水电煤", "水电", "水电费", "水费", "电费", "燃气费", "燃气", "煤气", "暖气", "供暖", "话费", "电话费",
        "手机费", "宽带", "网费", "生活缴费", "缴费", "流量费",
        "utilities", "utility", "electricity", "power bill", "electric bill", "water bill", "water",
        "gas bill", "heating", "phone bill", "mobile bill", "broadband", "internet", "wifi",
        "bills",
    ),
    "shopping": (
        "购物", "网购", "淘宝", "京东", "天猫", "拼多多", "衣服", "买衣服", "服装", "鞋", "化妆品", "数码",
        "电器", "家居", "逛街", "商场", "买东西",
        "shopping", "online shopping", "amazon", "taobao", "jd", "tmall", "clothes", "clothing", "shoes",
        "cosmetics", "electronics", "gadgets", "mall", "retail",
    ),
    "entertainment": (
        "娱乐", "看电影", "电影", "游戏", "视频会员", "唱歌", "ktv", "演唱会", "健身", "健身房", "音乐",
        "追剧", "游乐园",
        "entertainment", "movies", "movie", "cinema", "films", "netflix", "spotify", "games", "gaming",
        "concerts", "concert", "streaming", "subscriptions", "gym", "fitness", "hobbies", "theatre", "theater",
        "karaoke", "music",
    ),
    "health": (
        "医疗", "看病", "买药", "药费", "药品", "医院", "挂号", "体检", "看牙", "牙医", "药店", "药房", "门诊", "治疗",
        "health", "healthcare", "medical", "doctor", "doctors", "hospital", "pharmacy", "medicine", "drugs",
        "dentist", "dental", "clinic", "prescriptions", "checkup",
    ),
    "education": (
        "教育", "学费", "培训", "培训费", "课程", "网课", "上课", "补习", "辅导班", "考试", "报名费", "买书", "书店", "图书",
        "education", "tuition", "school fees", "school fee", "school", "courses", "course", "classes",
        "training", "tutoring", "books", "textbooks", "university",
    ),
    "travel": (
        "旅游", "旅行", "出游", "机票", "酒店", "住宿", "民宿", "火车票", "高铁", "高铁票", "度假", "景区", "门票",
        "travel", "travelling", "traveling", "trips", "trip", "flights", "flight", "airfare", "hotels",
        "hotel", "airbnb", "holidays", "holiday", "vacation", "train tickets", "train", "tours",
    ),
    "insurance": (
        "保险", "保费", "车险", "医保", "寿险", "重疾险",
        "insurance", "premiums", "premium", "car insurance", "life insurance", "health insurance",
    ),
    "other": ("其他", "其它", "杂项", "other", "others", "miscellaneous", "misc"),
}

FUND_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "money_market": (
        "货币基金", "货币型基金", "货币型", "货币", "货基", "余额宝", "余额宝类", "零钱通", "现金管理", "现金宝",
        "money market", "money market fund", "money-market", "money_market", "mmf", "cash fund",
        "cash management", "liquidity fund",
    ),
    "bond": (
        "债券基金", "债券型基金", "债券型", "债券", "债基", "纯债", "短债", "中短债", "国债", "可转债", "转债",
        "信用债", "利率债", "固收", "固定收益",
        "bond", "bond fund", "bonds", "fixed income", "fixed-income", "debt fund", "treasury",
    ),
    "hybrid": (
        "混合基金", "混合型基金", "混合型", "混合", "偏股混合", "偏债混合", "平衡型", "配置型",
        "hybrid", "hybrid fund", "balanced", "balanced fund", "mixed fund", "mixed", "allocation fund",
        "multi-asset",
    ),
    "index": (
        "指数基金", "指数型基金", "指数型", "指数", "指基", "etf", "宽基", "沪深300", "中证500", "中证1000",
        "创业板指", "联接基金",
        "index", "index fund", "index tracker", "tracker", "tracker fund", "passive fund", "etfs",
        "csi 300", "csi300",
    ),
    "equity": (
        "股票基金", "股票型基金", "股票型", "股票", "股基", "偏股",
        "equity", "equity fund", "equities", "stock fund", "stocks", "stock", "shares",
    ),
    "qdii": (
        "qdii", "qdii基金", "海外基金", "海外", "境外", "美股基金", "美股", "港股基金", "港股", "全球基金",
        "纳斯达克", "标普500", "标普", "日经",
        "global fund", "global", "overseas fund", "overseas", "international fund", "international",
        "foreign fund", "nasdaq", "s&p 500", "s&p500", "us stocks", "hong kong stocks",
    ),
}

# English words that look like a one-edit typo of a synonym but are words of their own.
_NOT_TYPOS = frozenset({
    "taxes", "bands", "stick", "stuck", "hotly", "trail",
    # 5 and 6 letters: water, meals, lunch, movie(s), mixed, balanced
    "later", "means", "launch", "move", "moves", "fixed", "balance",
    # 7 letters and more, first and last letters right (what a message scan could mistake)
    "shipping", "stopping", "compute", "computing", "heading", "hearing", "concerns", "convert",
    "clauses", "oversees", "packing", "parting", "trailing", "trucker", "vocation", "screaming", "fights",
})

# A synonym that overlaps one of these phrases is not an entity (searching whole
# messages only): "of course" is no education, 交通银行 (a bank) no transport,
# and a holiday season is a time, not travel spending.
_SCAN_STOP_PHRASES = (
    "of course", "交通银行",
    "the holidays", "christmas holiday", "christmas holidays", "easter holiday", "easter holidays",
    "bank holiday", "bank holidays", "public holiday", "public holidays",
)
# Category words that name a category only in context ("other months" is none):
# left to a trained extractor, never added by a text search.
_CONTEXT_ONLY_CATEGORIES = frozenset({"other", "others", "其他", "其它"})

_TOKEN = re.compile(r"[a-z0-9&\u00df-\u00f6\u00f8-\u00ff]+(?:['’][a-z]+)?")
_TOKEN_CHAR = re.compile(r"[a-z0-9&\u00df-\u00f6\u00f8-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD_GAP = re.compile(r"[\s\-_]*")              # inside one synonym: "take-out", "money  market"
_PHRASE_GAP = re.compile(r"[\s\-_·的]*")          # between two matches of one phrase: "ETF联接基金"
_OVERRIDE_GAP = re.compile(r"[\s\-_·的0-9]*")     # ... and index numbers next to a qdii word: "纳斯达克100指数"


@dataclass(frozen=True)
class VocabMatch:
    """A category or fund type found in a message: character offsets into the original text.

    ``value`` is the canonical name (one of SPENDING_CATEGORIES or FUND_TYPES).
    """

    start: int
    end: int
    value: str


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and re.search(r"(ses|xes|ches|shes)$", word):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _apostrophe_forms(word: str) -> list[str]:
    """A possessive's other spellings: "mcdonald's" -> "mcdonalds", "mcdonald"."""
    if "'" not in word and "’" not in word:
        return []
    return [re.sub(r"['’]", "", word), re.split(r"['’]", word)[0]]


def _same_word(word: str, synonym: str) -> bool:
    """Equal, or equal once both are made singular ("restaurants" ~ "restaurant"), or a possessive of it."""
    if word == synonym or _singular(word) == _singular(synonym):
        return True
    return any(form == synonym or _singular(form) == _singular(synonym) for form in _apostrophe_forms(word))


def _one_edit_apart(a: str, b: str) -> bool:
    """True if a and b differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


class SynonymMatcher:
    """Maps free text to a canonical value through a synonym table (see module docstring).

    ``match`` names one entity's text; ``find`` searches a whole message.
    ``override``: a value that wins over the others (qdii). ``context_only``:
    synonyms ``find`` does not search for. ``stop_phrases``: phrases inside
    which ``find`` sees no synonym.
    """

    def __init__(self, synonyms: dict[str, tuple[str, ...]], override: str | None = None,
                 context_only: frozenset[str] = frozenset(), stop_phrases: tuple[str, ...] = ()):
        self._cjk: list[tuple[str, str]] = []            # (synonym, canonical)
        self._latin: list[tuple[list[str], str, int]] = []  # (tokens, canonical, length)
        self._override = override
        # for find(): synonyms by their first word, every word the table knows,
        # and the long words a typo may stand for, by length
        self._scan_cjk: list[tuple[str, str]] = []
        self._scan_latin: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._known_words: set[str] = set()
        self._typo_targets: dict[int, set[str]] = {}
        # whole words only: "of course" is no stop phrase inside "of courses"
        self._stop_phrases = tuple(
            re.compile(r"(?<![a-z0-9&])" + re.escape(fold(phrase)) + r"(?![a-z0-9&])") for phrase in stop_phrases
        )
        context_only = {fold(word) for word in context_only}
        for canonical, words in synonyms.items():
            for word in {*words, canonical, canonical.replace("_", " ")}:
                folded = fold(word).strip()
                if _CJK.search(folded):
                    self._cjk.append((folded, canonical))
                    if folded not in context_only:
                        self._scan_cjk.append((folded, canonical))
                    continue
                tokens = _TOKEN.findall(folded)
                if not tokens:
                    continue
                self._latin.append((tokens, canonical, len(folded)))
                self._known_words.update(tokens)
                self._known_words.update(_singular(token) for token in tokens)
                if folded in context_only:
                    continue
                entry = (tuple(tokens), canonical)
                if entry not in self._scan_latin.get(tokens[0], ()):
                    self._scan_latin.setdefault(tokens[0], []).append(entry)
                for token in tokens:
                    if len(token) >= SCAN_TYPO_MIN_LENGTH and token.isalpha():
                        self._typo_targets.setdefault(len(token), set()).add(token)

    def _exact_hits(self, folded: str) -> list[tuple[int, int, str]]:
        """(length, -position, canonical) for every synonym found in the text."""
        hits = []
        for synonym, canonical in self._cjk:
            position = folded.find(synonym)
            if position >= 0:
                hits.append((len(synonym), -position, canonical))
        tokens = _TOKEN.findall(folded)
        for syn_tokens, canonical, length in self._latin:
            n = len(syn_tokens)
            for i in range(len(tokens) - n + 1):
                if all(_same_word(word, syn) for word, syn in zip(tokens[i:i + n], syn_tokens)):
                    hits.append((length, -i, canonical))
                    break
        return hits

    def _typo_hits(self, folded: str) -> list[tuple[int, int, str]]:
        tokens = _TOKEN.findall(folded)
        hits = []
        for syn_tokens, canonical, length in self._latin:
            n = len(syn_tokens)
            for i in range(len(tokens) - n + 1):
                typos = 0
                for word, syn_word in zip(tokens[i:i + n], syn_tokens):
                    if _same_word(word, syn_word):
                        continue
                    if (len(syn_word) >= TYPO_MIN_LENGTH and word not in _NOT_TYPOS
                            and (_one_edit_apart(word, syn_word)
                                 or (word.endswith("s")  # a plural typo: "resturants"
                                     and _one_edit_apart(_singular(word), _singular(syn_word))))):
                        typos += 1
                    else:
                        typos = -1
                        break
                if typos > 0:
                    hits.append((length, -i, canonical))
                    break
        return hits

    def match(self, text: str) -> str | None:
        folded = fold(text or "").strip()
        if not folded or len(folded) > MAX_ENTITY_CHARS:
            return None
        hits = self._exact_hits(folded) or self._typo_hits(folded)
        if not hits:
            return None
        if self._override and any(canonical == self._override for _, _, canonical in hits):
            return self._override
        return max(hits)[2]  # longest synonym, then the earliest in the text

    # ---- searching a whole message ----------------------------------------------------

    def _readings(self, word: str) -> dict[str, bool]:
        """The synonym words a message word may stand for -> whether only as a typo."""
        singular = _singular(word)
        readings = {word: False, singular: False}
        for form in _apostrophe_forms(word):  # "mcdonald's", "uber's"
            readings.setdefault(form, False)
        if (len(word) < SCAN_TYPO_MIN_LENGTH - 1 or not word.isalpha() or word in self._known_words
                or singular in self._known_words or word in _NOT_TYPOS or singular in _NOT_TYPOS):
            return readings
        for form in {word, singular}:
            for length in (len(form) - 1, len(form), len(form) + 1):
                for target in self._typo_targets.get(length, ()):
                    if target[0] == form[0] and target[-1] == form[-1] and _one_edit_apart(form, target):
                        readings.setdefault(target, True)
        return readings

    def _scan_hits(self, folded: str) -> list[tuple[int, int, str, bool]]:
        """(start, end, canonical, via a typo) for every synonym occurrence."""
        hits = []
        for synonym, canonical in self._scan_cjk:
            start = folded.find(synonym)
            while start >= 0:
                end = start + len(synonym)
                # a Latin edge ("qdii基金") must not cut an English word
                if not ((_TOKEN_CHAR.match(synonym[0]) and start > 0 and _TOKEN_CHAR.match(folded[start - 1]))
                        or (_TOKEN_CHAR.match(synonym[-1]) and end < len(folded) and _TOKEN_CHAR.match(folded[end]))):
                    hits.append((start, end, canonical, False))
                start = folded.find(synonym, start + 1)
        tokens = list(_TOKEN.finditer(folded))
        readings = [self._readings(token.group()) for token in tokens]
        for i in range(len(tokens)):
            for first in readings[i]:
                for syn_tokens, canonical in self._scan_latin.get(first, ()):
                    last = i + len(syn_tokens) - 1
                    if last >= len(tokens):
                        continue
                    typo = False
                    for j, syn_word in enumerate(syn_tokens):
                        via_typo = readings[i + j].get(syn_word)
                        gap_ok = j == 0 or _WORD_GAP.fullmatch(folded[tokens[i + j - 1].end():tokens[i + j].start()])
                        if via_typo is None or not gap_ok:
                            break
                        typo = typo or via_typo
                    else:
                        hits.append((tokens[i].start(), tokens[last].end(), canonical, typo))
        stops = [(m.start(), m.end()) for phrase in self._stop_phrases for m in phrase.finditer(folded)]
        return [hit for hit in hits if all(hit[1] <= s or hit[0] >= e for s, e in stops)]

    def find(self, text: str) -> list[VocabMatch]:
        """Every synonym in a whole message, left to right (see the module docstring).

        Only the first ``MAX_SCAN_CHARS`` characters are searched.
        """
        folded = fold((text or "")[:MAX_SCAN_CHARS])
        chosen: list[tuple[int, int, str, bool]] = []
        # the longest span first, an exact word before a typo, then the earliest (then by name: deterministic)
        for hit in sorted(set(self._scan_hits(folded)), key=lambda h: (h[0] - h[1], h[3], h[0], h[2])):
            if all(hit[1] <= start or hit[0] >= end for start, end, _, _ in chosen):
                chosen.append(hit)
        found: list[VocabMatch] = []
        for start, end, value, _ in sorted(chosen):
            if found:
                previous = found[-1]
                gap = folded[previous.end:start]
                if previous.value == value and _PHRASE_GAP.fullmatch(gap):
                    found[-1] = VocabMatch(previous.start, end, value)
                    continue
                if self._override in (previous.value, value) and _OVERRIDE_GAP.fullmatch(gap):
                    found[-1] = VocabMatch(previous.start, end, self._override)
                    continue
            found.append(VocabMatch(start, end, value))
        return found


_CATEGORIES = SynonymMatcher(CATEGORY_SYNONYMS, context_only=_CONTEXT_ONLY_CATEGORIES,
                             stop_phrases=_SCAN_STOP_PHRASES)
_FUND_TYPES = SynonymMatcher(FUND_TYPE_SYNONYMS, override="qdii", stop_phrases=_SCAN_STOP_PHRASES)


def canonical_category(text: str) -> str | None:
    """One of SPENDING_CATEGORIES for a customer's word, or None.

    >>> canonical_category("下馆子"), canonical_category("resturants"), canonical_category("天气")
    ('dining', 'dining', None)
    """
    return _CATEGORIES.match(text)


def canonical_fund_type(text: str) -> str | None:
    """One of FUND_TYPES for a customer's word, or None.

    >>> canonical_fund_type("货基"), canonical_fund_type("mony market fund"), canonical_fund_type("ETF")
    ('money_market', 'money_market', 'index')
    """
    return _FUND_TYPES.match(text)


def find_categories(text: str) -> list[VocabMatch]:
    """Every spending category named in a whole message, left to right.

    >>> [(m.value, m.start, m.end) for m in find_categories("上个月外卖和打车花了多少")]
    [('dining', 3, 5), ('transport', 6, 8)]
    """
    return _CATEGORIES.find(text)


def find_fund_types(text: str) -> list[VocabMatch]:
    """Every fund type named in a whole message, left to right; 基金 / "fund" alone is none.

    >>> [(m.value, m.start, m.end) for m in find_fund_types("what's an index fund, or 标普500指数基金")]
    [('index', 10, 20), ('qdii', 25, 34)]
    """
    return _FUND_TYPES.find(text)
