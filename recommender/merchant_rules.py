"""Ordered bilingual keyword rules and the text normalisation they rely on.

A rule is a literal keyword (Chinese or English) and what it means. Rules are
checked in order and the FIRST rule whose keyword occurs anywhere in the
text wins, so the list runs from most specific to most generic: "美团外卖"
(dining) and "美团单车" (transport) come before plain "美团"; "天猫超市"
(groceries) before "天猫" (shopping); brand names before generic words like
"餐厅" or "supermarket".

Matching is done on ``match_form(text)``: Unicode NFKC (full-width "ＫＦＣ"
becomes "kfc"), lower case, separators ("-", "*", "_", "/", ...) and runs of
4+ digits (order numbers) as spaces. Keywords go through the same normalisation when compiled, so they can
be written the way a statement shows them. An English (ASCII) keyword must
not touch other letters ("bus" does not fire inside "business"); Chinese
keywords match anywhere, since Chinese has no word boundaries.

Confidence is not stored per rule: ``specific`` rules (a named merchant) get
``CategorisationPolicy.specific_rule_confidence`` and generic ones
``generic_rule_confidence``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MerchantRule:
    keyword: str
    category: str
    specific: bool = True  # a named merchant/brand rather than a generic word


def _rules(category: str, specific: bool, *keywords: str) -> tuple[MerchantRule, ...]:
    return tuple(MerchantRule(k, category, specific) for k in keywords)


# ---- spending: most specific first ----------------------------------------------
SPENDING_RULES: tuple[MerchantRule, ...] = (
    # Multi-purpose platforms: the specific service before the platform name.
    *_rules("dining", True, "美团外卖", "美团餐饮", "美团团购餐", "饿了么", "eleme", "uber eats", "ubereats",
            "京东外卖", "淘宝闪购", "grabfood", "grab food", "deliveroo", "doordash", "foodpanda",
            "星巴克", "starbucks", "瑞幸", "luckin", "costa coffee", "tims", "peet's", "manner coffee",
            "肯德基", "kfc", "麦当劳", "mcdonald's", "mcdonalds", "mcdonald", "必胜客", "pizza hut", "汉堡王",
            "burger king", "德克士", "华莱士", "塔斯汀", "赛百味", "达美乐", "domino's", "海底捞", "呷哺呷哺",
            "西贝", "外婆家", "太二", "真功夫", "永和大王", "老乡鸡", "乡村基", "南城香", "沙县小吃", "兰州拉面",
            "庆丰包子", "喜茶", "奈雪", "蜜雪冰城", "茶百道", "古茗", "霸王茶姬", "coco都可", "一点点", "费大厨",
            "绿茶餐厅", "鼎泰丰", "din tai fung", "巴奴", "大龙燚", "九毛九", "点都德", "翠华", "pret a manger",
            "nando's", "wagamama", "chipotle", "meituan waimai", "meituan delivery", "heytea", "nayuki", "haidilao",
            "mixue", "chagee", "xibei", "早餐", "breakfast"),
    *_rules("transport", True, "美团单车", "美团打车", "美团骑行", "哈啰单车", "哈啰出行", "哈啰", "青桔单车",
            "滴滴出行", "滴滴打车", "滴滴快车", "didi", "高德打车", "曹操出行", "t3出行", "首汽约车", "uber",
            "lyft", "grab", "taxi", "出租车", "的士"),
    *_rules("travel", True, "美团酒店", "美团民宿", "携程", "ctrip", "trip com", "去哪儿", "qunar", "飞猪",
            "同程旅行", "同程艺龙", "途牛", "马蜂窝", "fliggy", "tuniu", "china railway", "railway", "booking com", "expedia", "agoda", "airbnb", "爱彼迎",
            "中国铁路", "铁路客票", "铁路", "高铁票", "火车票", "中国国航", "国航", "东方航空", "东航",
            "南方航空", "南航", "海南航空", "春秋航空", "吉祥航空", "厦门航空", "深圳航空", "air china",
            "china eastern", "china southern", "cathay pacific", "国泰航空", "singapore airlines",
            "如家", "汉庭", "全季", "亚朵", "atour", "hanting", "锦江之星", "7天酒店", "维也纳酒店", "希尔顿", "hilton",
            "万豪", "marriott", "喜来登", "sheraton", "洲际", "intercontinental", "holiday inn", "假日酒店",
            "hyatt", "凯悦", "香格里拉", "shangri la"),
    *_rules("groceries", True, "美团买菜", "小象超市", "美团优选", "多多买菜", "叮咚买菜", "朴朴超市", "盒马鲜生",
            "盒马", "hema", "天猫超市", "京东到家", "京东超市", "永辉", "沃尔玛", "walmart", "家乐福", "carrefour",
            "大润发", "华润万家", "物美", "联华", "世纪联华", "麦德龙", "metro cash", "山姆会员", "山姆",
            "sam s club", "costco", "开市客", "奥乐齐", "aldi", "tesco", "乐购", "百佳", "惠康", "7 eleven",
            "seven eleven", "7-11", "全家便利", "familymart", "family mart", "罗森", "lawson", "美宜佳",
            "便利蜂", "钱大妈", "百果园", "鲜丰水果", "freshippo", "yonghui", "ole", "精品超市",
            "rt mart", "wumart", "dingdong maicai"),
    *_rules("health", True, "京东健康", "阿里健康", "叮当快药", "老百姓大药房", "益丰大药房", "大参林",
            "海王星辰", "一心堂", "国大药房", "同仁堂", "美年大健康", "爱康国宾", "瑞慈体检", "好大夫",
            "平安好医生", "微医", "watsons pharmacy", "boots pharmacy"),
    *_rules("utilities", True, "国家电网", "南方电网", "国网", "电力公司", "自来水", "水务", "燃气", "煤气",
            "华润燃气", "港华燃气", "中国移动", "中国联通", "中国电信", "中国广电", "china mobile",
            "china unicom", "china telecom", "移动话费", "话费充值", "电费", "水费", "燃气费", "暖气费",
            "供暖", "热力", "宽带", "broadband", "electricity", "water bill", "gas bill", "phone bill",
            "mobile bill", "utility", "utilities", "state grid", "city gas", "towngas", "gas company",
            "water supply", "power supply"),
    *_rules("housing", True, "物业管理", "物业费", "物业", "链家", "自如", "贝壳找房", "我爱我家", "蛋壳公寓",
            "泊寓", "房租", "租金", "房贷", "按揭", "公积金贷款", "rent payment", "rent", "mortgage",
            "landlord", "房东", "property management", "strata", "hoa fee"),
    *_rules("insurance", True, "中国人寿", "中国平安保险", "平安人寿", "平安产险", "平安财险", "太平洋保险",
            "中国太保", "太平人寿", "新华保险", "泰康", "友邦", "aia", "人保财险", "中国人保", "picc", "众安",
            "水滴保", "阳光保险", "大地保险", "allianz", "axa", "prudential", "manulife", "保险费", "保费",
            "车险", "保险", "insurance"),
    *_rules("education", True, "新东方", "学而思", "好未来", "猿辅导", "作业帮", "高途", "粉笔", "中公教育",
            "华图", "有道", "网易有道", "英语流利说", "多邻国", "duolingo", "coursera", "udemy", "edx",
            "学费", "培训费", "报名费", "教材费", "驾校", "幼儿园", "tuition", "school fee", "kindergarten",
            "书店", "新华书店", "当当", "dangdang", "bookstore", "book store", "books"),
    *_rules("entertainment", True, "爱奇艺", "腾讯视频", "优酷", "芒果tv", "哔哩哔哩", "bilibili", "b站",
            "网易云音乐", "qq音乐", "酷狗", "喜马拉雅", "netflix", "spotify", "disney", "youtube premium",
            "apple music", "steam", "playstation", "nintendo", "xbox", "王者荣耀", "原神", "网易游戏",
            "腾讯游戏", "猫眼", "淘票票", "大麦", "万达影城", "万达电影", "cgv", "imax", "横店影视", "星美",
            "迪士尼", "欢乐谷", "方特", "长隆", "ktv", "唱吧", "健身房", "超级猩猩", "乐刻", "maoyan", "iqiyi",
            "tencent video", "youku", "netease cloud music", "游戏充值", "game top up", "games",
            "gym", "fitness", "cinema", "movie", "电影", "影城", "影院", "演唱会", "剧院", "theatre", "theater",
            "concert"),
    *_rules("shopping", True, "淘宝", "taobao", "天猫", "tmall", "京东商城", "京东", "jd com", "拼多多",
            "pinduoduo", "唯品会", "苏宁易购", "苏宁", "国美", "得物", "闲鱼", "抖音商城", "小红书",
            "优衣库", "uniqlo", "zara", "h&m", "无印良品", "muji", "宜家", "ikea", "名创优品", "miniso",
            "屈臣氏", "watsons", "丝芙兰", "sephora", "apple store", "apple com", "小米之家", "小米商城",
            "华为商城", "华为", "耐克", "nike", "阿迪达斯", "adidas", "李宁", "安踏", "amazon", "亚马逊",
            "ebay", "shein", "jingdong", "vipshop", "万达广场", "万象城", "大悦城", "百货", "购物中心", "商场", "department store",
            "shopping mall", "mall", "outlet", "奥特莱斯"),
    # Cash and person-to-person payments: spending, use unknown.
    *_rules("other", True, "atm取款", "atm取现", "取现", "取款", "cash withdrawal", "atm", "手续费", "年费",
            "滞纳金", "透支利息", "分期手续费", "annual fee", "late fee", "service charge", "interest charge",
            "finance charge"),
    # Generic words last, from the least to the most ambiguous.
    *_rules("dining", False, "外卖", "餐厅", "饭店", "餐饮", "餐馆", "酒楼", "面馆", "粉面", "小吃", "烧烤", "火锅",
            "dining hall", "meituan",
            "茶餐厅", "快餐", "食堂", "咖啡", "奶茶", "茶饮", "甜品", "面包", "烘焙", "restaurant", "cafe",
            "coffee", "bistro", "diner", "canteen", "bakery", "noodle", "pizza", "burger", "sushi", "kitchen",
            "eatery", "grill", "tea house", "美团"),
    *_rules("groceries", False, "超市", "便利店", "生鲜", "菜市场", "农贸市场", "水果", "蔬菜", "粮油",
            "supermarket", "grocery", "groceries", "market", "convenience store", "fresh food"),
    *_rules("transport", False, "加油站", "中国石化", "中国石油", "中石化", "中石油", "sinopec", "petrochina",
            "shell", "壳牌", "bp", "加油", "充电", "地铁", "metro", "公交", "bus", "交通卡", "一卡通",
            "停车", "parking", "高速", "etc", "过路费", "toll", "fuel", "petrol", "gas station", "洗车", "车辆维修",
            "汽车保养", "ferry", "轮渡"),
    *_rules("health", False, "医院", "hospital", "诊所", "clinic", "卫生院", "社区卫生", "药房", "药店",
            "pharmacy", "口腔", "牙科", "dental", "dentist", "体检", "眼科", "眼镜", "optician", "医疗", "medical",
            "挂号", "门诊"),
    *_rules("travel", False, "酒店", "宾馆", "民宿", "hotel", "hostel", "resort", "航空", "airline", "airlines",
            "机票", "flight", "景区", "门票", "旅行社", "旅游", "travel agency", "tour"),
    *_rules("education", False, "教育", "培训", "课程", "网课", "学校", "school", "course", "tutor", "家教",
            "考试", "university", "college", "大学", "学院"),
    *_rules("shopping", False, "服装", "鞋", "数码", "电器", "家居", "化妆品", "美妆", "母婴", "store", "shop",
            "boutique", "electronics"),
)

# ---- neutral flows (keywords on description + counterparty) ----------------------
CARD_REPAYMENT_KEYWORDS: tuple[str, ...] = (
    "信用卡还款", "还信用卡", "信用卡自动还款", "信用卡账单还款", "还款 信用卡", "信用卡 还款",
    "credit card repayment", "credit card payment", "card repayment", "card payment received",
    "payment thank you", "autopay card",
)
FUND_KEYWORDS: tuple[str, ...] = (
    # The sign decides purchase (outflow) or redemption (inflow).
    "基金申购", "基金认购", "基金定投", "基金赎回", "基金购买", "购买基金", "申购", "认购", "定投", "赎回",
    "理财购买", "购买理财", "理财赎回", "余额宝转入", "余额宝 转入", "转入余额宝", "余额宝转出",
    "余额宝 转出", "fund subscription", "fund purchase", "fund redemption", "fund redeem", "buy fund",
    "sell fund", "mutual fund", "unit trust",
)
OWN_TRANSFER_KEYWORDS: tuple[str, ...] = (
    "本人", "同名账户", "同名转账", "自己账户", "本人账户", "转存定期", "定期存入", "定期转活期", "活期转定期",
    "own account", "own transfer", "between own accounts", "transfer to savings", "transfer from savings",
    "to my savings", "internal transfer",
)
# Money from a person rather than an employer: a recurring one is not called salary.
PERSONAL_TRANSFER_KEYWORDS: tuple[str, ...] = (
    "转账", "汇款", "红包", "零钱", "transfer from", "transfer", "remittance", "p2p", "venmo", "paypal",
)
REFUND_KEYWORDS: tuple[str, ...] = (
    "退款", "退货", "退费", "退回", "冲正", "返现", "refund", "reversal", "chargeback", "cashback", "cash back",
)

# ---- income: checked in order; recurring payers without a keyword become salary --
INCOME_RULES: tuple[MerchantRule, ...] = (
    *_rules("investment_income", True, "利息", "结息", "存款利息", "分红", "股息", "红利", "interest",
            "dividend", "coupon payment"),
    # Pensions are income but not salary: other_income (the steady payer is still flagged recurring).
    *_rules("other_income", True, "养老金", "退休金", "pension", "annuity"),
    *_rules("bonus", True, "年终奖", "奖金", "绩效奖", "年终", "bonus", "incentive"),
    *_rules("salary", True, "代发工资", "工资", "代发", "薪资", "薪酬", "薪金", "salary", "payroll", "wages",
            "wage"),
)


# ---- text normalisation ---------------------------------------------------------
_SEPARATORS = re.compile(r"[\s\-_*/\\|,.;:：，。；、#~·•()（）\[\]【】<>《》\"'“”‘’!?！？+=]+")
_ASCII = re.compile(r"^[\x00-\x7f]+$")  # an English keyword: letter boundaries apply


# Long digit runs (order numbers, card and fund codes) and separators, in one pass.
_MATCHING_NOISE = re.compile(r"(?:\d{4,}|" + _SEPARATORS.pattern + ")+")


def match_form(text: str) -> str:
    """One text in matching form: NFKC, lower case, runs of 4+ digits (order
    numbers, card and fund codes) and separators collapsed to one space,
    trimmed. Short numbers stay ("7-11", "7天酒店", "t3出行")."""
    return _MATCHING_NOISE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


_ANY_DIGITS = re.compile(r"(?:\s*\d+\s*)+")
# Payment channels say how, not what: they would only add noise to the classifier.
_CHANNEL_WORDS = re.compile(
    r"支付宝|财付通|微信支付|云闪付|银联|网络技术有限公司|支付科技有限公司|(?<![a-z])(?:alipay|tenpay|wechat pay|"
    r"wechatpay|unionpay|pos)(?![a-z])")


def classifier_form(text: str) -> str:
    """match_form without payment-channel words and digits (neither says what was bought)."""
    return " ".join(_CHANNEL_WORDS.sub(" ", _ANY_DIGITS.sub(" ", match_form(text))).split())


def normalise_for_matching(texts: pd.Series) -> pd.Series:
    """match_form of each text (None/NaN -> ""). Dropping long numbers also lets
    statement lines that differ only by an order number share one piece of work.

    One compiled-regex call per element, like pandas' own ``.str`` methods (which
    loop in Python too) but without their per-call overhead; callers pass
    distinct texts only.
    """
    return pd.Series([match_form(t) for t in _as_text(texts)], index=texts.index, dtype=object)


def _as_text(texts: pd.Series) -> np.ndarray:
    values = texts.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = ""
    return np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)


# Removed from merchant names, in one pass: payment-channel prefix, order/reference
# numbers, card suffixes, runs of 3+ digits, and refund words (a refund names the
# merchant it came from, so "退款-美团外卖" groups with "美团外卖").
_MERCHANT_NOISE = re.compile(
    "|".join([
        r"^\s*(?:支付宝|财付通|微信支付|微信|云闪付|银联|京东支付|美团支付|alipay|wechat\s*pay|wechatpay|tenpay|"
        r"unionpay|pos消费|pos|消费|快捷支付|网上支付)\s*[-_*:：/|]+",
        r"[-_\s]*(?:订单号?|单号|流水号?|交易号|\border\b|\bref\b|\bno\b)\.?\s*[:：#]?\s*[a-z0-9-]*\d[a-z0-9-]*",
        r"[-_\s]*(?:尾号|卡号|card\s*ending(?:\s*in)?|ending\s*in)\s*[:：]?\s*\*{0,4}\d{2,}",
        r"\*+\d{2,}",
        r"[(（]\d{3,}[)）]",
        r"\d{3,}",
        r"退款|退货|\brefund(?:ed)?\b|\breversal\b",
    ]),
    re.IGNORECASE,
)
_MERCHANT_SEPARATORS = re.compile(r"[\s\-_*/\\|#~·•]+")


def normalise_merchant(texts: pd.Series) -> pd.Series:
    """A display/grouping name for the merchant behind a statement description.

    "支付宝-美团外卖-订单8812" -> "美团外卖"; "Uber *trip" -> "UBER TRIP";
    "STARBUCKS SHANGHAI 尾号1234" -> "STARBUCKS SHANGHAI"; "退款-美团外卖" ->
    "美团外卖". Strips payment-channel prefixes, order/reference numbers, card
    suffixes, runs of 3+ digits and refund words; upper-cases Latin letters so
    case variants group together. Work is done once per distinct text.
    """
    codes, distinct = pd.factorize(texts.fillna("").astype(str), use_na_sentinel=False)
    names = (
        pd.Series(distinct, dtype=object).str.normalize("NFKC")
        .str.replace(_MERCHANT_NOISE, " ", regex=True)
        .str.replace(_MERCHANT_SEPARATORS, " ", regex=True)
        .str.strip(" .:：").str.upper()
    )
    return pd.Series(names.to_numpy()[codes], index=texts.index, dtype=object)


# ---- compiled matchers -----------------------------------------------------------
def _normalise_keyword(keyword: str) -> str:
    normalised = match_form(keyword)
    if not normalised:
        raise ValueError(f"keyword {keyword!r} is empty after normalisation (long digit runs are removed)")
    return normalised


@dataclass(frozen=True)
class CompiledKeywords:
    """Keywords compiled for fast matching.

    Two zero-width patterns, one for Chinese (matches anywhere) and one for
    English (letter boundaries). At each position of a text, the alternation
    reports the first keyword in list order that starts there; the minimum
    over positions is then the first keyword in list order found anywhere.
    (Python's regex engine skips non-matching branches quickly when they start
    with a literal; putting the boundary check outside the alternation keeps
    that fast path for English keywords too.)
    """

    chinese: re.Pattern | None
    english: re.Pattern | None
    any_keyword: re.Pattern
    index: dict  # normalised keyword -> position of its first occurrence in the list

    def first_index(self, text: str) -> int:
        best = -1
        for pattern in (self.chinese, self.english):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                found = self.index[match.group(1)]
                if best < 0 or found < best:
                    best = found
        return best


@lru_cache(maxsize=32)
def compile_keywords(keywords: tuple[str, ...]) -> CompiledKeywords:
    normalised = [_normalise_keyword(k) for k in keywords]
    index: dict[str, int] = {}
    for i, k in enumerate(normalised):
        index.setdefault(k, i)
    unique = list(index)  # list order, duplicates dropped
    chinese = [re.escape(k) for k in unique if not _ASCII.match(k)]
    english = [re.escape(k) for k in unique if _ASCII.match(k)]
    chinese_body = "|".join(chinese)
    english_body = "|".join(english)
    any_parts = []
    if chinese:
        any_parts.append(f"(?:{chinese_body})")
    if english:
        any_parts.append(f"(?<![a-z])(?:{english_body})(?![a-z])")
    return CompiledKeywords(
        chinese=re.compile(f"(?=({chinese_body}))") if chinese else None,
        english=re.compile(f"(?<![a-z])(?=({english_body})(?![a-z]))") if english else None,
        any_keyword=re.compile("|".join(any_parts) if any_parts else r"(?!x)x"),
        index=index,
    )


def contains_any(normalised: pd.Series, keywords: tuple[str, ...]) -> np.ndarray:
    """Bool array: which (already normalised) texts contain any keyword."""
    if not keywords or normalised.empty:
        return np.zeros(len(normalised), dtype=bool)
    return normalised.str.contains(compile_keywords(keywords).any_keyword, regex=True).to_numpy(dtype=bool)


def first_matching_rule(normalised: pd.Series, rules: tuple[MerchantRule, ...]) -> np.ndarray:
    """Int array: index into ``rules`` of the first rule (in list order) whose
    keyword occurs in each (already normalised) text; -1 if none.

    A few regex scans per text: call it on distinct texts only.
    """
    out = np.full(len(normalised), -1, dtype=np.int64)
    if not rules or normalised.empty:
        return out
    compiled = compile_keywords(tuple(r.keyword for r in rules))
    hits = normalised.str.contains(compiled.any_keyword, regex=True).to_numpy(dtype=bool)
    if hits.any():
        out[hits] = [compiled.first_index(t) for t in normalised.to_numpy(dtype=object)[hits]]
    return out


def build_spending_rules(extra: tuple[tuple[str, str, bool], ...] = ()) -> tuple[MerchantRule, ...]:
    """The bank's extra rules (checked first) followed by the built-in SPENDING_RULES."""
    return tuple(MerchantRule(k, c, bool(s)) for k, c, s in extra) + SPENDING_RULES
