"""Spending categories and fund types -> the contract's values (bot/normalise/vocab.py)."""
from __future__ import annotations

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalise.numbers import MAX_SCAN_CHARS
from bot.normalise.vocab import (
    CATEGORY_SYNONYMS,
    FUND_TYPE_SYNONYMS,
    FUND_TYPES,
    SPENDING_CATEGORIES,
    VocabMatch,
    canonical_category,
    canonical_fund_type,
    find_categories,
    find_fund_types,
)
from recommender import schema
from recommender.policy import CategorisationPolicy

CATEGORIES = [
    # Chinese
    ("吃饭", "dining"), ("外卖", "dining"), ("餐饮", "dining"), ("饭钱", "dining"), ("下馆子", "dining"),
    ("奶茶", "dining"), ("咖啡", "dining"),
    ("买菜", "groceries"), ("超市", "groceries"), ("生鲜", "groceries"),
    ("打车", "transport"), ("地铁", "transport"), ("公交", "transport"), ("加油", "transport"),
    ("滴滴", "transport"), ("停车费", "transport"),
    ("房租", "housing"), ("房贷", "housing"), ("物业费", "housing"),
    ("水电煤", "utilities"), ("电费", "utilities"), ("话费", "utilities"), ("宽带", "utilities"),
    ("网购", "shopping"), ("淘宝", "shopping"), ("京东", "shopping"), ("购物", "shopping"), ("衣服", "shopping"),
    ("看电影", "entertainment"), ("游戏", "entertainment"), ("娱乐", "entertainment"),
    ("视频会员", "entertainment"),
    ("看病", "health"), ("买药", "health"), ("医疗", "health"),
    ("学费", "education"), ("培训", "education"), ("教育", "education"),
    ("旅游", "travel"), ("机票", "travel"), ("酒店", "travel"),
    ("保险", "insurance"), ("车险", "insurance"),
    # English
    ("eating out", "dining"), ("takeaway", "dining"), ("restaurants", "dining"), ("coffee", "dining"),
    ("food delivery", "dining"),
    ("supermarket", "groceries"), ("groceries", "groceries"),
    ("taxis", "transport"), ("uber", "transport"), ("fuel", "transport"), ("petrol", "transport"),
    ("metro", "transport"), ("cabs", "transport"),
    ("rent", "housing"), ("mortgage", "housing"),
    ("electricity", "utilities"), ("phone bill", "utilities"), ("internet", "utilities"),
    ("online shopping", "shopping"), ("Amazon", "shopping"), ("clothes", "shopping"),
    ("movies", "entertainment"), ("Netflix", "entertainment"),
    ("gym", "entertainment"),        # as the categoriser labels gyms (MCC 7997)
    ("doctor", "health"), ("pharmacy", "health"), ("dentist", "health"),
    ("tuition", "education"), ("courses", "education"), ("books", "education"),
    ("flights", "travel"), ("hotels", "travel"), ("airbnb", "travel"), ("train tickets", "travel"),
    ("car insurance", "insurance"),
    ("dining", "dining"), ("other", "other"),
    # mixed and in context
    ("上个月 dining", "dining"),
    ("how much on coffee last month", "dining"),
    # typos: one edit on English words of 5+ letters
    ("resturants", "dining"), ("groceris", "groceries"), ("electricty", "utilities"), ("takeawy", "dining"),
    ("phramacy", "health"), ("hotles", "travel"),
]


@pytest.mark.parametrize("text, category", CATEGORIES)
def test_canonical_category(text, category):
    assert canonical_category(text) == category


@pytest.mark.parametrize("text", ["", "hello", "天气", "上个月", "fund", "基金", "the", "taxes",
                                  "rant",        # 4 letters: too short for a typo of "rent"
                                  "mony"])       # a typo of no category word
def test_not_a_category(text):
    assert canonical_category(text) is None


FUND_TYPES_CASES = [
    ("货币基金", "money_market"), ("货基", "money_market"), ("余额宝类", "money_market"),
    ("money market", "money_market"), ("MMF", "money_market"), ("cash fund", "money_market"),
    ("money market funds", "money_market"), ("mony market fund", "money_market"),
    ("债券基金", "bond"), ("债基", "bond"), ("纯债", "bond"), ("bond fund", "bond"), ("bonds", "bond"),
    ("fixed income", "bond"),
    ("混合基金", "hybrid"), ("偏股混合", "hybrid"),      # the longer word wins over 偏股
    ("balanced fund", "hybrid"), ("hybrid", "hybrid"), ("mixed fund", "hybrid"), ("hybird fund", "hybrid"),
    ("指数基金", "index"), ("ETF", "index"), ("ETFs", "index"), ("指基", "index"), ("沪深300 index", "index"),
    ("tracker", "index"), ("index fund", "index"), ("idex fund", "index"), ("宽基指数", "index"),
    ("股票基金", "equity"), ("股基", "equity"), ("偏股", "equity"), ("equity fund", "equity"),
    ("stock fund", "equity"), ("equities", "equity"),
    ("QDII", "qdii"), ("海外基金", "qdii"), ("美股基金", "qdii"), ("港股基金", "qdii"), ("global fund", "qdii"),
    ("overseas fund", "qdii"), ("QDII基金", "qdii"),
    ("标普500指数基金", "qdii"),       # an overseas index fund is sold as QDII
    ("QDII指数基金", "qdii"),
    ("我想买 index fund", "index"),
]


@pytest.mark.parametrize("text, fund_type", FUND_TYPES_CASES)
def test_canonical_fund_type(text, fund_type):
    assert canonical_fund_type(text) == fund_type


@pytest.mark.parametrize("text", ["", "基金", "fund", "funds", "hello", "上个月", "what is a good fund"])
def test_not_a_fund_type(text):
    assert canonical_fund_type(text) is None


def test_values_are_the_contracts():
    assert set(SPENDING_CATEGORIES) == set(CategorisationPolicy().spending_categories)
    assert set(FUND_TYPES) == set(schema.FUND_TYPES)
    assert set(CATEGORY_SYNONYMS) == set(SPENDING_CATEGORIES)
    assert set(FUND_TYPE_SYNONYMS) == set(FUND_TYPES)


def test_every_synonym_maps_to_its_own_value():
    """No synonym is shadowed by a longer synonym of another value."""
    for table, canonical in ((CATEGORY_SYNONYMS, canonical_category), (FUND_TYPE_SYNONYMS, canonical_fund_type)):
        for value, words in table.items():
            for word in words:
                got = canonical(word)
                if table is FUND_TYPE_SYNONYMS and got == "qdii":
                    continue  # qdii words override (标普500 ...), checked above
                assert got == value, (word, got, value)



# ---- finding categories and fund types in a whole message ------------------------------------


def spans(text: str, found: list[VocabMatch]) -> list[tuple[str, str]]:
    """(value, the text it covers) for each match."""
    return [(m.value, text[m.start:m.end]) for m in found]


FIND_CATEGORY_CASES = [
    # Chinese: substrings, the longest synonym wins
    ("上个月外卖花了多少", [("dining", "外卖")]),
    ("我点外卖花了多少", [("dining", "点外卖")]),                       # 点外卖 over 外卖
    ("打车和地铁一共多少钱", [("transport", "打车"), ("transport", "地铁")]),
    ("房租水电费", [("housing", "房租"), ("utilities", "水电费")]),     # neighbours of two values stay apart
    ("住宿费用多少", [("housing", "住宿费用")]),                       # not travel's 住宿
    ("上个月在超市买菜花了多少", [("groceries", "超市买菜")]),           # neighbours of one value: one span
    ("交通银行的卡打车花了多少", [("transport", "打车")]),               # a bank's name is no transport
    # English: whole words, any case, plurals of a singular synonym
    ("how much did I spend on dining last month", [("dining", "dining")]),
    ("How much on Restaurants and GROCERIES?", [("dining", "Restaurants"), ("groceries", "GROCERIES")]),
    ("grocery shopping this week", [("groceries", "grocery shopping")]),  # not shopping
    ("my phone bill and the rent", [("utilities", "phone bill"), ("housing", "rent")]),
    ("take-out twice a week", [("dining", "take-out")]),
    ("McDonald's again", [("dining", "McDonald's")]),
    ("a couple of courses", [("education", "courses")]),
    ("book a flight", [("travel", "flight")]),                      # "book" the verb is no books
    ("holidays in Japan", [("travel", "holidays")]),
    # typos in long words
    ("how much on resturants", [("dining", "resturants")]),
    ("groceris and phramacy", [("groceries", "groceris"), ("health", "phramacy")]),
    # mixed
    ("上个月 dining 花了多少", [("dining", "dining")]),
    ("上个月Uber花了多少", [("transport", "Uber")]),                   # a Latin word ends where Chinese starts
    ("ＫＦＣ午餐多少钱", [("dining", "ＫＦＣ午餐")]),                   # full width: offsets into the original
    ("coffee和奶茶", [("dining", "coffee"), ("dining", "奶茶")]),       # 和 separates two mentions
]


@pytest.mark.parametrize("text, expected", FIND_CATEGORY_CASES)
def test_find_categories(text, expected):
    assert spans(text, find_categories(text)) == expected


@pytest.mark.parametrize("text", [
    "", "hello", "天气怎么样", "我的余额是多少",
    "compared to other months", "其他月份呢", "any others?",   # "other" is a category only in context
    "of course", "交通银行",
    "over the holidays", "christmas holidays",               # a season, not travel spending
    "currently busy", "barely", "gymnastics",                 # rent, bus, bar, gym inside other words
    "can you share this", "pay my credit card bill",           # singular of plural-only synonyms
    "I'll do it later, what does that mean", "shipping fee",   # a word, not a typo (water, meals, shopping)
    "hotles",                                                  # 6 letters: too short for a typo in a message
])
def test_find_categories_finds_none(text):
    assert find_categories(text) == []


FIND_FUND_TYPE_CASES = [
    ("推荐几个债基", [("bond", "债基")]),
    ("货币基金和混合基金哪个好", [("money_market", "货币基金"), ("hybrid", "混合基金")]),
    ("偏股混合", [("hybrid", "偏股混合")]),                              # not 偏股 (equity)
    ("5万买沪深300", [("index", "沪深300")]),
    ("ETF联接基金", [("index", "ETF联接基金")]),
    ("what's an index fund", [("index", "index fund")]),
    ("I want a balanced fund", [("hybrid", "balanced fund")]),
    ("Money-Market funds", [("money_market", "Money-Market funds")]),
    ("ETFs or bonds", [("index", "ETFs"), ("bond", "bonds")]),
    ("我想买 index fund", [("index", "index fund")]),
    # an overseas fund of another type is qdii, within one phrase
    ("标普500指数基金", [("qdii", "标普500指数基金")]),
    ("纳斯达克100指数", [("qdii", "纳斯达克100指数")]),
    ("QDII债基", [("qdii", "QDII债基")]),
    ("the s&p 500 index fund", [("qdii", "s&p 500 index fund")]),
    ("global equity funds", [("qdii", "global equity funds")]),
    ("美股和债基", [("qdii", "美股"), ("bond", "债基")]),                 # two funds, two types
]


@pytest.mark.parametrize("text, expected", FIND_FUND_TYPE_CASES)
def test_find_fund_types(text, expected):
    assert spans(text, find_fund_types(text)) == expected


@pytest.mark.parametrize("text", [
    "", "基金", "fund", "funds", "what is a good fund", "推荐几只基金",   # a fund, but no type of fund
    "what's my balance", "a fixed deposit",                         # not "balanced", not "mixed"
    "indexed", "money", "market", "aqdii基金",
])
def test_find_fund_types_finds_none(text):
    assert find_fund_types(text) == []


@pytest.mark.parametrize("table, find, context_only", [
    (CATEGORY_SYNONYMS, find_categories, {"other", "others", "其他", "其它"}),
    (FUND_TYPE_SYNONYMS, find_fund_types, set()),
])
def test_every_synonym_is_found_on_its_own(table, find, context_only):
    for value, words in table.items():
        for word in words:
            found = find(word)
            if word in context_only:
                assert found == [], word
                continue
            assert len(found) == 1 and (found[0].start, found[0].end) == (0, len(word)), (word, found)
            assert found[0].value in (value, "qdii"), (word, found)


def test_a_found_span_names_what_was_found():
    """find_* and canonical_* agree: the text a match covers names the match's value."""
    for cases, canonical in ((FIND_CATEGORY_CASES, canonical_category), (FIND_FUND_TYPE_CASES, canonical_fund_type)):
        for text, _ in cases:
            for value, span in spans(text, find_categories(text) if canonical is canonical_category
                                     else find_fund_types(text)):
                assert canonical(span) == value, (text, span, value)


def test_only_the_start_of_a_long_message_is_searched():
    filler = "x" * MAX_SCAN_CHARS
    assert spans("外卖" + filler, find_categories("外卖" + filler)) == [("dining", "外卖")]
    assert find_categories(filler + "外卖") == []


_WORDS = st.sampled_from([
    "外卖", "打车", "债基", "标普500", "指数基金", "其他", "交通银行", "的", "和", "上个月", "基金",
    "dining", "restaurants", "resturants", "index fund", "ETFs", "s&p 500", "global", "of course", "other",
    "book", "bill", "fund", "later", "Ｕｂｅｒ", "ＫＦＣ", "'s", " ", " ", ",", "-", "100", "a", "the",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=15).map("".join))
def test_found_spans_are_ordered_disjoint_and_point_into_the_text(text):
    for find, values, canonical in ((find_categories, SPENDING_CATEGORIES, canonical_category),
                                    (find_fund_types, FUND_TYPES, canonical_fund_type)):
        found = find(text)
        for match in found:
            assert 0 <= match.start < match.end <= len(text)
            assert match.value in values
            assert canonical(text[match.start:match.end]) == match.value
        assert all(a.end <= b.start for a, b in zip(found, found[1:]))
