"""Step 6: reasons in Chinese and English, with the numbers behind them.

A ``Reason`` is a code (stable, for tests, audit and the bot), the raw
numbers (``params``: cents as int, fractions and percentages as float) and
the text in both languages, rendered from the templates below. Numbers are
formatted for people by the parameter's name:

- ``*_cents``  -> money: "¥20,000.00" (zh) / "CNY 20,000.00" (en)
- ``*_months`` -> "1.8" (one decimal, "3" when whole)
- ``*_pct``    -> "6.2" (one decimal; the template adds "%")
- ``*_weight`` -> a fraction as a percentage: 0.2 -> "20"
- ``fund_type`` -> 货币基金 / money-market fund ...
- ``*_level`` also yields ``*_level_name`` (稳健型 / balanced)
- ``type_weights`` (fund_type -> fraction) -> "股票基金 40%、债券基金 60%"

``REASON_TEMPLATES`` explain the suggestion; ``WHY_NOT_TEMPLATES`` explain
why a fund type is not in it. Every template names only parameters the
pipeline supplies; ``tests/test_explain.py`` renders all of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from recommender.schema import LEVEL_NAMES

FUND_TYPE_NAMES = {
    "money_market": ("货币基金", "money-market fund"),
    "bond": ("债券基金", "bond fund"),
    "hybrid": ("混合基金", "hybrid fund"),
    "index": ("指数基金", "index fund"),
    "equity": ("股票基金", "equity fund"),
    "qdii": ("QDII基金", "QDII (overseas) fund"),
}

DISCLOSURE = {
    "zh": (
        "基金有风险，投资需谨慎。过往业绩不代表未来表现，基金管理人管理的其他基金的业绩也不构成本基金业绩的保证。"
        "以上是根据你的风险测评结果和收支情况给出的参考建议，不构成收益承诺；购买前请阅读基金合同和招募说明书，"
        "确认产品风险等级与你的风险承受能力相匹配。"
        "本演示中的基金及其各项数据均为合成数据，并非真实产品。"
    ),
    "en": (
        "Funds carry risk; invest with care. Past performance does not guarantee future results, and the "
        "results of other funds run by the same manager do not guarantee this fund's. This is a suggestion "
        "based on your risk questionnaire and your finances, not a promise of returns; read the fund contract "
        "and prospectus before buying and make sure the product's risk rating matches your risk tolerance. "
        "The funds and all their figures in this demo are synthetic, not real products."
    ),
}

# code -> (zh, en)
REASON_TEMPLATES: dict[str, tuple[str, str]] = {
    "QUESTIONNAIRE_MISSING": (
        "你还没有做风险测评。完成测评后我才能为你推荐基金。",
        "You have not taken the risk questionnaire yet. I can suggest funds once you have.",
    ),
    "QUESTIONNAIRE_EXPIRED": (
        "你的风险测评已于 {expired_on} 过期（有效期 {validity_days} 天）。请重新测评后我再为你推荐基金。",
        "Your risk questionnaire expired on {expired_on} (valid for {validity_days} days). "
        "Please take it again and I will suggest funds.",
    ),
    "LEVEL_FROM_QUESTIONNAIRE": (
        "你的风险测评结果是 {questionnaire_level}（{questionnaire_level_name}），有效期至 {expires_on}。",
        "Your risk questionnaire puts you at {questionnaire_level} ({questionnaire_level_name}), "
        "valid until {expires_on}.",
    ),
    "CAPACITY_CAP": (
        "根据你的收支情况，风险承受能力得分为 {score} 分（满分 100），最高对应 {cap_level}（{cap_level_name}），"
        "低于测评结果 {questionnaire_level}，所以按 {cap_level} 推荐。",
        "From your income and spending, your capacity for risk scores {score} out of 100, which allows "
        "{cap_level} ({cap_level_name}) at most, below your questionnaire's {questionnaire_level}; "
        "so the suggestion follows {cap_level}.",
    ),
    "THIN_HISTORY": (
        "我们只有 {months_observed} 个月的收支记录（至少需要 {min_months} 个月），暂时最多按 {cap_level} 推荐。",
        "We only have {months_observed} months of your transactions (at least {min_months} needed), "
        "so for now the suggestion goes no higher than {cap_level}.",
    ),
    "HORIZON_CAP": (
        "你的投资期限是 {horizon_months} 个月，短于 {shorter_than_months} 个月的钱最多配置到 {cap_level} "
        "对应的产品（不超过 {max_rating}），以免需要用钱时正赶上下跌。",
        "Your horizon is {horizon_months} months; money needed within {shorter_than_months} months goes no "
        "higher than {cap_level} (products up to {max_rating}), so a fall does not hit just when you need it.",
    ),
    "EFFECTIVE_LEVEL": (
        "因此本次推荐的每只产品风险等级都不超过 {max_rating}。",
        "So every product suggested here is rated {max_rating} or lower.",
    ),
    "EMERGENCY_FUND_FIRST": (
        "你的应急资金只够 {emergency_fund_months} 个月的必要开支（目标 {target_months} 个月，"
        "还差 {gap_cents}），所以先把 {to_emergency_cents} 放进货币基金（T+0/T+1 可取）。",
        "You have {emergency_fund_months} months of essential spending in cash (target {target_months}, "
        "{gap_cents} short), so {to_emergency_cents} goes to a money-market fund first (redeemable T+0/T+1).",
    ),
    "EMERGENCY_FUND_SHORT": (
        "你的应急资金只够 {emergency_fund_months} 个月的必要开支（目标 {target_months} 个月，还差 {gap_cents}）。"
        "建议先把每月结余存下来补足应急资金，再考虑投资。",
        "You have {emergency_fund_months} months of essential spending in cash (target {target_months}, "
        "{gap_cents} short). Build that buffer from your monthly savings first, then consider investing.",
    ),
    "EMERGENCY_TARGET_RAISED": (
        "因为你的收入不稳定或没有固定来源（收入变异系数 {income_volatility_cv}），应急资金目标提高到 "
        "{target_months} 个月（一般为 {base_months} 个月）。",
        "Because your income is irregular or has no steady source (coefficient of variation "
        "{income_volatility_cv}), your emergency-fund target is {target_months} months rather than the "
        "usual {base_months}.",
    ),
    "EMERGENCY_FUND_OK": (
        "你的应急资金够 {emergency_fund_months} 个月的必要开支（目标 {target_months} 个月），"
        "可以动用多出来的 {investable_cents} 投资。",
        "You have {emergency_fund_months} months of essential spending in cash (target {target_months}), "
        "so the {investable_cents} above that can be invested.",
    ),
    "AMOUNT_ABOVE_INVESTABLE": (
        "你想投资 {amount_cents}，但留足应急资金后可投资的只有 {investable_cents}，"
        "多出的 {kept_liquid_cents} 也放在货币基金里，随时可取。",
        "You asked to invest {amount_cents}, but after your emergency fund only {investable_cents} is free "
        "to invest; the other {kept_liquid_cents} also stays in a money-market fund you can withdraw any time.",
    ),
    "NEGATIVE_SURPLUS": (
        "按保守估计，你每月的收支结余是 {conservative_monthly_surplus_cents}，入不敷出。在结余转正之前，"
        "除货币基金和不超过 {max_rating} 的债券基金外不推荐其他产品，建议先控制开支、攒出缓冲。",
        "On a cautious estimate you end a month with {conservative_monthly_surplus_cents}: spending more "
        "than you earn. Until that turns positive I suggest nothing beyond money-market funds and bond "
        "funds rated up to {max_rating}; first bring spending down and build a buffer.",
    ),
    "MODEL_PORTFOLIO": (
        "投资部分按 {effective_level} 的模型组合配置：{type_weights}。"
        "按示例性资本市场假设，预期年化收益约 {expected_return_pct}%，波动率约 {volatility_pct}%"
        "（上限 {volatility_cap_pct}%）。",
        "The invested part follows the {effective_level} model portfolio: {type_weights}. Under the "
        "illustrative capital-market assumptions it expects about {expected_return_pct}% a year with "
        "volatility about {volatility_pct}% (cap {volatility_cap_pct}%).",
    ),
    "VOLATILITY_CAP_NOT_MET": (
        "现有适合你的基金类型无法把波动率压到 {volatility_cap_pct}% 以内，已选波动最小的组合（约 {volatility_pct}%）。",
        "The fund types suitable for you cannot keep volatility within {volatility_cap_pct}%; this is the "
        "least volatile mix of them (about {volatility_pct}%).",
    ),
    "REQUESTED_TYPE": (
        "按你的要求，投资部分只配置{fund_type}。",
        "As you asked, the invested part goes to {fund_type}s only.",
    ),
    "REQUESTED_TYPE_NOT_SUITABLE": (
        "你想买{fund_type}，但目前它不适合你（原因见下方）。下面是适合你的组合。",
        "You asked for {fund_type}s, but they do not suit you now (see why below). Here is a mix that does.",
    ),
    "CONCENTRATION_LIMIT": (
        "单只非货币、非指数基金最多占建议金额的 {max_single_fund_weight}%，所以{fund_type}分散到 "
        "{funds_used} 只基金。",
        "No single fund other than money-market and index funds may exceed {max_single_fund_weight}% "
        "of the suggestion, so the {fund_type} part is spread over {funds_used} funds.",
    ),
    "AMOUNT_MOVED": (
        "有 {amount_cents} 因起购金额或单只基金上限放不进原定类型，转入{fund_type}。",
        "{amount_cents} could not go to its planned type (minimum purchase or the single-fund limit), "
        "so it went to {fund_type}s instead.",
    ),
    "BELOW_MIN_PURCHASE": (
        "基金 {fund_code} 起购金额是 {min_purchase_cents}，分到的 {amount_cents} 不够，所以没有选它。",
        "Fund {fund_code} needs at least {min_purchase_cents}; its share of {amount_cents} is less, so it "
        "was left out.",
    ),
    "AMOUNT_NOT_PLACED": (
        "有 {amount_cents} 找不到合适的基金（起购金额或单只基金不超过 {max_single_fund_weight}% 的限制），"
        "建议先留在存款里。",
        "{amount_cents} found no suitable fund (minimum purchase, or the {max_single_fund_weight}% "
        "single-fund limit); keep it in your deposit account for now.",
    ),
    "NO_EMERGENCY_FUND": (
        "目前没有适合你的 T+0/T+1 货币基金，应急资金 {amount_cents} 建议留在活期存款。",
        "No suitable T+0/T+1 money-market fund is available, so keep the emergency money "
        "({amount_cents}) in your current account.",
    ),
    "NO_SUITABLE_FUND": (
        "目前没有适合你的基金可以放这 {amount_cents}，建议先留在存款里。",
        "No fund suits you for this {amount_cents} right now; keep it in your deposit account for now.",
    ),
    "NOTHING_TO_INVEST": (
        "这次没有可以投资的金额（计划金额 {amount_cents}）。",
        "There is nothing to invest this time (amount {amount_cents}).",
    ),
}

# Why a fund type is not in the suggestion. code -> (zh, en)
WHY_NOT_TEMPLATES: dict[str, tuple[str, str]] = {
    "TYPE_ABOVE_LEVEL": (
        "{fund_type}的风险等级最低也是 {lowest_rating}，高于你本次可购买的 {max_rating}。",
        "The lowest-rated {fund_type} is {lowest_rating}, above the {max_rating} you can buy now.",
    ),
    "HOLDING_PERIOD_TOO_LONG": (
        "适合你风险等级的{fund_type}最短也要持有 {shortest_holding_days} 天，超过你 {horizon_months} 个月的投资期限。",
        "Every {fund_type} within your level must be held at least {shortest_holding_days} days, longer "
        "than your {horizon_months}-month horizon.",
    ),
    "NEGATIVE_SURPLUS": (
        "你目前每月入不敷出，暂不推荐{fund_type}。",
        "You currently spend more than you earn each month, so no {fund_type} for now.",
    ),
    "CURRENCY_NOT_ACCEPTED": (
        "{fund_type}以 {currency} 计价，本服务只推荐人民币产品。",
        "The {fund_type}s are priced in {currency}; only CNY products are suggested here.",
    ),
    "EMERGENCY_FUND_FIRST": (
        "这笔钱先用来补足应急资金，暂不配置{fund_type}。",
        "This money goes to your emergency fund first, so no {fund_type} this time.",
    ),
    "NOT_IN_MODEL_PORTFOLIO": (
        "在 {effective_level} 的模型组合里，{fund_type}（假设预期收益 {expected_return_pct}%，波动 "
        "{volatility_pct}%）没有分到比例。",
        "The {effective_level} model portfolio gives no weight to {fund_type}s (assumed return "
        "{expected_return_pct}%, volatility {volatility_pct}%).",
    ),
    "BELOW_MIN_PURCHASE": (
        "分给{fund_type}的 {amount_cents} 低于起购金额 {min_purchase_cents}。",
        "The {amount_cents} for {fund_type}s is below the minimum purchase of {min_purchase_cents}.",
    ),
    "CONCENTRATION_LIMIT": (
        "{fund_type}的份额受单只基金不超过 {max_single_fund_weight}% 的限制，放不下。",
        "The {fund_type} part did not fit under the {max_single_fund_weight}% single-fund limit.",
    ),
    "NOT_REQUESTED": (
        "你这次只想要{requested_type}。",
        "You asked for {requested_type}s only this time.",
    ),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)        # {"zh": ..., "en": ...}

    def to_dict(self) -> dict:
        return {"code": self.code, "params": json_ready(self.params), "text": dict(self.text)}


def make_reason(code: str, **params) -> Reason:
    """A reason from ``REASON_TEMPLATES``. Raises KeyError for an unknown code or missing param."""
    return _render(REASON_TEMPLATES, code, params)


def make_why_not(code: str, **params) -> Reason:
    """A why-not reason from ``WHY_NOT_TEMPLATES`` (params include ``fund_type``)."""
    return _render(WHY_NOT_TEMPLATES, code, params)


def disclosure() -> dict:
    return dict(DISCLOSURE)


def _render(templates: dict[str, tuple[str, str]], code: str, params: dict) -> Reason:
    zh, en = templates[code]
    params = json_ready(params)
    return Reason(
        code,
        params,
        {"zh": zh.format(**_formatted(params, "zh")), "en": en.format(**_formatted(params, "en"))},
    )


def _formatted(params: dict, language: str) -> dict:
    out = {}
    for key, value in params.items():
        out[key] = format_param(key, value, language)
        if key.endswith("_level") and value in LEVEL_NAMES:
            out[f"{key}_name"] = LEVEL_NAMES[value][0 if language == "zh" else 1]
    return out


def format_param(key: str, value, language: str) -> str:
    """One parameter as people read it (see the module docstring)."""
    if value is None:
        return "—" if language == "zh" else "n/a"
    if key.endswith("_cents"):
        return format_money(int(value), language)
    if key.endswith("_months"):
        return format_number(value)
    if key.endswith("_pct"):
        return f"{float(value):.1f}"
    if key.endswith("_weight"):
        return format_number(float(value) * 100)
    if key in ("fund_type", "requested_type"):
        return fund_type_name(value, language)
    if key == "type_weights":
        names = [f"{fund_type_name(t, language)} {format_number(w * 100, 0)}%" for t, w in value.items()]
        return ("、" if language == "zh" else ", ").join(names)
    if key == "score":
        return format_number(value, 0)
    if isinstance(value, float):
        return format_number(value, 2)
    return str(value)


def format_money(cents: int, language: str) -> str:
    """Integer cents -> "¥20,000.00" (zh) or "CNY 20,000.00" (en), exact."""
    sign = "-" if cents < 0 else ""
    yuan = Decimal(abs(int(cents))) / 100
    amount = f"{yuan:,.2f}"
    return f"{sign}¥{amount}" if language == "zh" else f"CNY {sign}{amount}"


def format_number(value, decimals: int = 1) -> str:
    """1.84 -> "1.8", 3.0 -> "3", 12.5 (decimals 0) -> "12"; never "3.0"."""
    value = float(value)
    if not math.isfinite(value):
        return "∞" if value > 0 else "—"
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.{decimals}f}"


def fund_type_name(fund_type: str, language: str) -> str:
    names = FUND_TYPE_NAMES.get(fund_type)
    if names is None:
        return fund_type
    return names[0 if language == "zh" else 1]


def json_ready(value):
    """Plain JSON types: numpy scalars -> int/float, floats rounded to 6 places, tuples -> lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    return value
