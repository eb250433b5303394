"""Spending categories and fund types: customers' words -> the contract's values.

``canonical_category(text)`` returns one of ``SPENDING_CATEGORIES`` and
``canonical_fund_type(text)`` one of ``FUND_TYPES`` (both from
/work/shared/design/CONTRACT.md and ``recommender.schema``), or None.

Matching, in order (on ``numbers.fold``-ed text):

1. a synonym that occurs in the text: Chinese synonyms as substrings, English
   ones as whole words (a plural matches its singular: "restaurants",
   "taxis", "ETFs"). The longest synonym wins, then the earliest;
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
"""
from __future__ import annotations

import re

from bot.normalise.numbers import fold

SPENDING_CATEGORIES = (
    "dining", "groceries", "transport", "housing", "utilities", "shopping",
    "entertainment", "health", "education", "travel", "insurance", "other",
)
FUND_TYPES = ("money_market", "bond", "hybrid", "index", "equity", "qdii")
TYPO_MIN_LENGTH = 5

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
_NOT_TYPOS = frozenset({"taxes", "bands", "stick", "stuck", "hotly", "trail"})

_TOKEN = re.compile(r"[a-z0-9&]+(?:['’][a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and re.search(r"(ses|xes|ches|shes)$", word):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _same_word(word: str, synonym: str) -> bool:
    """Equal, or equal once both are made singular ("restaurants" ~ "restaurant")."""
    return word == synonym or _singular(word) == _singular(synonym)


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
    """Maps free text to a canonical value through a synonym table (see module docstring)."""

    def __init__(self, synonyms: dict[str, tuple[str, ...]], override: str | None = None):
        self._cjk: list[tuple[str, str]] = []            # (synonym, canonical)
        self._latin: list[tuple[list[str], str, int]] = []  # (tokens, canonical, length)
        self._override = override
        for canonical, words in synonyms.items():
            for word in {*words, canonical, canonical.replace("_", " ")}:
                folded = fold(word).strip()
                if _CJK.search(folded):
                    self._cjk.append((folded, canonical))
                else:
                    tokens = _TOKEN.findall(folded)
                    if tokens:
                        self._latin.append((tokens, canonical, len(folded)))

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
        if not folded:
            return None
        hits = self._exact_hits(folded) or self._typo_hits(folded)
        if not hits:
            return None
        if self._override and any(canonical == self._override for _, _, canonical in hits):
            return self._override
        return max(hits)[2]  # longest synonym, then the earliest in the text


_CATEGORIES = SynonymMatcher(CATEGORY_SYNONYMS)
_FUND_TYPES = SynonymMatcher(FUND_TYPE_SYNONYMS, override="qdii")


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
