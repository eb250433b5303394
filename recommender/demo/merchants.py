"""Merchants and billers as they appear on Chinese bank statements (synthetic demo data).

Each ``Merchant`` knows the spending category a correct categoriser should
give it (the ground truth of the demo data), the ISO 18245 merchant category
code its acquirer reports for card payments, and how the statement text looks
in Chinese and in English. Payments through a wallet (Alipay 支付宝, WeChat
Pay 微信支付 / 财付通) reach the bank *without* an MCC and with the wallet's
prefix, which is what makes categorisation hard in practice.

Ticket sizes are distribution parameters for the generator (floats are fine
there); every generated amount is an integer number of cents.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPENDING_CATEGORIES = ("dining", "groceries", "transport", "housing", "utilities", "shopping", "entertainment",
                       "health", "education", "travel", "insurance", "other")
INCOME_CATEGORIES = ("salary", "bonus", "investment_income", "other_income")


@dataclass(frozen=True)
class City:
    name_zh: str
    name_en: str           # upper case, as terminal descriptors print it
    branches_zh: tuple[str, ...]


SHANGHAI = City("上海", "SHANGHAI", ("徐汇店", "静安店", "陆家嘴店", "五角场店", "中山公园店", "七宝店"))
BEIJING = City("北京", "BEIJING", ("朝阳大悦城店", "中关村店", "望京店", "西单店", "五道口店"))
HANGZHOU = City("杭州", "HANGZHOU", ("西湖银泰店", "滨江店", "武林店", "城西店", "下沙店"))
SHENZHEN = City("深圳", "SHENZHEN", ("南山店", "福田店", "海岸城店", "科技园店", "前海店"))
CITIES = (SHANGHAI, BEIJING, HANGZHOU, SHENZHEN)


@dataclass(frozen=True)
class Merchant:
    key: str
    category: str                   # ground-truth spending category (one of SPENDING_CATEGORIES)
    mcc: str                        # ISO 18245 code reported for card payments
    statement_zh: tuple[str, ...]   # templates; {order} {branch} {city} {city_zh} are filled in
    statement_en: tuple[str, ...]
    wallet_zh: str                  # merchant name a wallet passes on: "支付宝-<wallet_zh>"
    wallet_en: str
    median_cny: float               # typical ticket (distribution parameter, not money)
    spread: float = 0.45            # lognormal sigma of the ticket
    fixed_prices_cents: tuple[int, ...] = ()   # e.g. subscriptions and metro fares
    card_terminal: bool = True      # False: only ever paid through a wallet (no MCC)


def _m(key, category, mcc, zh, en, wallet_zh, wallet_en, median, spread=0.45, fixed=(), card_terminal=True):
    return Merchant(key, category, mcc, tuple(zh), tuple(en), wallet_zh, wallet_en, median, spread,
                    tuple(fixed), card_terminal)


MERCHANT_LIST: tuple[Merchant, ...] = (
    # ---- dining
    _m("meituan_delivery", "dining", "5814", ["美团外卖-订单{order}", "美团外卖", "美团-外卖订单{order}"],
       ["MEITUAN WAIMAI {order}", "MEITUAN*DELIVERY"], "美团", "MEITUAN", 38, 0.40),
    _m("eleme", "dining", "5814", ["饿了么-订单{order}", "饿了么外卖"], ["ELE.ME {order}", "ELEME*ORDER"],
       "饿了么", "ELEME", 35, 0.40),
    _m("starbucks", "dining", "5814", ["星巴克({branch})", "星巴克咖啡"], ["STARBUCKS {city}", "Starbucks Coffee {city}"],
       "星巴克", "STARBUCKS", 38, 0.30),
    _m("luckin", "dining", "5814", ["瑞幸咖啡({branch})", "瑞幸咖啡"], ["LUCKIN COFFEE {city}", "LUCKIN COFFEE"],
       "瑞幸咖啡", "LUCKIN COFFEE", 16, 0.25),
    _m("heytea", "dining", "5814", ["喜茶({branch})", "喜茶"], ["HEYTEA {city}"], "喜茶", "HEYTEA", 24, 0.25),
    _m("mcdonalds", "dining", "5814", ["麦当劳({branch})", "麦当劳"], ["MCDONALD'S {city}", "McDonalds {city}"],
       "麦当劳", "MCDONALDS", 36, 0.35),
    _m("haidilao", "dining", "5812", ["海底捞火锅({branch})", "海底捞"], ["HAIDILAO HOT POT {city}", "HAIDILAO"],
       "海底捞", "HAIDILAO", 320, 0.35),
    _m("restaurant", "dining", "5812", ["外婆家({branch})", "西贝莜面村({branch})", "鼎泰丰({branch})", "绿茶餐厅"],
       ["DIN TAI FUNG {city}", "GREEN TEA RESTAURANT", "WAGAS {city}"], "西贝莜面村", "RESTAURANT", 150, 0.50),
    _m("canteen", "dining", "5812", ["校园一食堂", "第二食堂", "学生餐厅"], ["CAMPUS CANTEEN", "UNIV DINING HALL"],
       "校园餐厅", "CAMPUS CANTEEN", 14, 0.35),
    _m("breakfast_stall", "dining", "5814", ["早餐店"], ["BREAKFAST STALL"], "早餐店", "BREAKFAST", 12, 0.30,
       card_terminal=False),
    # ---- groceries
    _m("hema", "groceries", "5411", ["盒马鲜生({branch})", "盒马鲜生"], ["HEMA FRESH {city}", "FRESHIPPO {city}"],
       "盒马鲜生", "HEMA", 150, 0.50),
    _m("yonghui", "groceries", "5411", ["永辉超市({branch})", "永辉超市"], ["YONGHUI SUPERMARKET {city}"],
       "永辉超市", "YONGHUI", 120, 0.50),
    _m("carrefour", "groceries", "5411", ["家乐福({branch})"], ["CARREFOUR {city}"], "家乐福", "CARREFOUR", 180, 0.50),
    _m("ole", "groceries", "5411", ["Ole'精品超市({branch})"], ["OLE SUPERMARKET {city}"], "Ole'精品超市", "OLE", 320, 0.50),
    _m("wet_market", "groceries", "5411", ["菜市场"], ["FRESH MARKET"], "菜市场", "FRESH MARKET", 35, 0.50,
       card_terminal=False),
    _m("convenience", "groceries", "5499", ["全家便利店", "罗森便利店({branch})", "7-ELEVEN便利店"],
       ["FAMILYMART {city}", "LAWSON {city}", "7-ELEVEN {city}"], "便利店", "CONVENIENCE STORE", 22, 0.40),
    # ---- transport
    _m("didi", "transport", "4121", ["滴滴出行", "滴滴快车-{order}"], ["DIDI CHUXING", "DIDI RIDE {order}"],
       "滴滴出行", "DIDI", 32, 0.50),
    _m("uber", "transport", "4121", ["UBER *TRIP"], ["UBER *TRIP", "UBER *TRIP HELP.UBER.COM"], "Uber", "UBER", 65, 0.50),
    _m("metro", "transport", "4111", ["{city_zh}地铁", "地铁出行"], ["METRO {city}", "{city} METRO"], "地铁乘车码",
       "METRO QR", 5, 0.0, fixed=(300, 400, 400, 500, 600)),
    _m("bus", "transport", "4111", ["公交乘车"], ["CITY BUS {city}"], "公交乘车码", "BUS QR", 2, 0.0, fixed=(100, 200)),
    _m("fuel", "transport", "5541", ["中国石化加油站", "中国石油加油站"], ["SINOPEC FUEL", "PETROCHINA STATION"],
       "中国石化", "SINOPEC", 420, 0.25),
    _m("parking", "transport", "7523", ["停车费-{branch}"], ["PARKING {city}"], "停车缴费", "PARKING", 25, 0.50),
    # ---- shopping
    _m("taobao", "shopping", "5399", ["淘宝-订单{order}", "淘宝网"], ["TAOBAO.COM {order}"], "淘宝", "TAOBAO", 120, 0.80),
    _m("tmall", "shopping", "5399", ["天猫-订单{order}"], ["TMALL.COM {order}"], "天猫", "TMALL", 200, 0.80),
    _m("jd", "shopping", "5311", ["京东商城-{order}", "京东"], ["JD.COM {order}", "JINGDONG"], "京东", "JD.COM", 220, 0.80),
    _m("pinduoduo", "shopping", "5399", ["拼多多-订单{order}"], ["PINDUODUO {order}"], "拼多多", "PINDUODUO", 40, 0.60),
    _m("amazon", "shopping", "5999", ["亚马逊"], ["AMAZON.CN", "AMAZON MKTPLACE"], "亚马逊", "AMAZON", 180, 0.70),
    _m("uniqlo", "shopping", "5651", ["优衣库({branch})"], ["UNIQLO {city}"], "优衣库", "UNIQLO", 260, 0.40),
    _m("dept_store", "shopping", "5311", ["百货商场({branch})", "万象城-{branch}"], ["DEPT STORE {city}"],
       "百货商场", "DEPT STORE", 600, 0.60),
    _m("apple", "shopping", "5732", ["Apple Store 零售店"], ["APPLE STORE {city}", "APPLE.COM/CN"], "Apple",
       "APPLE", 2500, 0.60),
    _m("ikea", "shopping", "5712", ["宜家家居"], ["IKEA {city}"], "宜家家居", "IKEA", 400, 0.60),
    # ---- entertainment
    _m("tencent_video", "entertainment", "4899", ["腾讯视频VIP会员"], ["TENCENT VIDEO VIP"], "腾讯视频", "TENCENT VIDEO",
       30, 0.0, fixed=(3000,)),
    _m("iqiyi", "entertainment", "4899", ["爱奇艺VIP会员"], ["IQIYI VIP"], "爱奇艺", "IQIYI", 25, 0.0, fixed=(2500,)),
    _m("netflix", "entertainment", "4899", ["NETFLIX.COM"], ["NETFLIX.COM"], "Netflix", "NETFLIX", 68, 0.0,
       fixed=(6800,)),
    _m("music", "entertainment", "5815", ["网易云音乐会员", "QQ音乐绿钻"], ["NETEASE CLOUD MUSIC"], "网易云音乐",
       "CLOUD MUSIC", 15, 0.0, fixed=(1500, 1800)),
    _m("cinema", "entertainment", "7832", ["万达影城({branch})", "猫眼电影-{order}"], ["WANDA CINEMA {city}", "CINEMA TICKETS"],
       "猫眼电影", "MAOYAN", 75, 0.30),
    _m("games", "entertainment", "5816", ["游戏充值-{order}"], ["STEAM GAMES", "GAME TOP-UP {order}"], "游戏充值",
       "GAME TOP-UP", 68, 0.60),
    _m("gym", "entertainment", "7997", ["健身房月卡"], ["FITNESS CLUB {city}"], "健身房", "FITNESS CLUB", 299, 0.0,
       fixed=(29900,)),
    # ---- health
    _m("pharmacy", "health", "5912", ["老百姓大药房({branch})", "益丰大药房", "海王星辰大药房"],
       ["PHARMACY {city}", "WATSONS PHARMACY"], "大药房", "PHARMACY", 85, 0.60),
    _m("hospital", "health", "8062", ["{city_zh}第一人民医院", "市中医医院门诊"], ["CITY GENERAL HOSPITAL", "INTL MEDICAL CENTER {city}"],
       "医院挂号缴费", "HOSPITAL", 260, 0.80),
    _m("dental", "health", "8021", ["口腔诊所"], ["DENTAL CLINIC {city}"], "口腔诊所", "DENTAL", 600, 0.50),
    # ---- education
    _m("training", "education", "8299", ["启明教育培训课程费"], ["BRIGHTPATH LEARNING COURSE"], "启明教育",
       "BRIGHTPATH LEARNING", 1200, 0.50),
    _m("books", "education", "5942", ["当当网-{order}", "新华书店"], ["DANGDANG BOOKS", "BOOKSTORE {city}"], "当当",
       "DANGDANG", 70, 0.50),
    _m("tuition", "education", "8220", ["学费-东岭大学"], ["TUITION FEE DONGLING UNIVERSITY"], "东岭大学", "DONGLING UNIV",
       5500, 0.0),
    # ---- travel
    _m("ctrip", "travel", "4722", ["携程旅行网-{order}", "携程"], ["TRIP.COM {order}", "CTRIP"], "携程", "TRIP.COM",
       1500, 0.60),
    _m("airbnb", "travel", "7011", ["爱彼迎-{order}"], ["AIRBNB * HM{order}"], "爱彼迎", "AIRBNB", 950, 0.50),
    _m("airline", "travel", "4511", ["中国国际航空", "东方航空", "南方航空"],
       ["AIR CHINA", "CHINA EASTERN AIRLINES", "CHINA SOUTHERN AIR"], "航空公司", "AIRLINE", 1600, 0.50),
    _m("hotel", "travel", "7011", ["全季酒店({branch})", "亚朵酒店"], ["HILTON HOTELS {city}", "MARRIOTT {city}", "ATOUR HOTEL"],
       "酒店", "HOTEL", 750, 0.50),
    _m("railway", "travel", "4112", ["12306铁路客票-{order}"], ["CHINA RAILWAY 12306"], "铁路12306", "RAILWAY 12306",
       320, 0.50),
    # ---- bills: scheduled by personas, usually direct debits (no MCC) or card payments
    _m("electricity", "utilities", "4900", ["国家电网-电费", "国网{city_zh}电力-电费"], ["STATE GRID ELECTRICITY",
       "State Grid power bill"], "国家电网", "STATE GRID", 180, 0.30),
    _m("water", "utilities", "4900", ["{city_zh}自来水-水费"], ["WATER SUPPLY {city}"], "自来水", "WATER", 45, 0.30),
    _m("gas", "utilities", "4900", ["{city_zh}燃气-燃气费"], ["CITY GAS {city}"], "燃气", "CITY GAS", 70, 0.35),
    _m("mobile", "utilities", "4814", ["中国移动-话费充值", "中国移动-手机话费"], ["CHINA MOBILE", "CHINA MOBILE TOP-UP"],
       "中国移动", "CHINA MOBILE", 100, 0.20),
    _m("broadband", "utilities", "4814", ["中国电信-宽带费"], ["CHINA TELECOM BROADBAND"], "中国电信", "CHINA TELECOM",
       129, 0.0, fixed=(12900,)),
    _m("property_fee", "housing", "", ["物业管理费"], ["PROPERTY MANAGEMENT FEE"], "物业缴费", "PROPERTY FEE", 800, 0.05),
    _m("insurance", "insurance", "6300", ["泰和人寿保险-保费扣款"], ["TAIHE LIFE INSURANCE PREMIUM"], "泰和人寿",
       "TAIHE LIFE", 600, 0.0),
    _m("social_insurance", "insurance", "", ["灵活就业社保缴费"], ["Social insurance (flexible employment)"],
       "社保缴费", "SOCIAL INSURANCE", 1300, 0.0),
    _m("atm", "other", "6011", ["ATM取款"], ["ATM WITHDRAWAL {city}"], "ATM", "ATM", 1000, 0.0,
       fixed=(50000, 100000, 100000, 200000)),
)
MERCHANTS: dict[str, Merchant] = {m.key: m for m in MERCHANT_LIST}

# How wallets prefix the merchant name on a bank statement.
WALLET_TEMPLATES_ZH = ("支付宝-{name}", "财付通-{name}", "微信支付-{name}")
WALLET_TEMPLATES_EN = ("ALIPAY*{name}", "TENPAY*{name}", "WECHAT PAY {name}")
WALLET_PREFIXES = ("支付宝-", "财付通-", "微信支付-", "ALIPAY*", "TENPAY*", "WECHAT PAY ")


def render(template: str, rng: np.random.Generator, city: City) -> str:
    """Fill a statement template: random order number and branch, the customer's city."""
    text = template
    if "{order}" in text:
        text = text.replace("{order}", str(int(rng.integers(10_000_000, 99_999_999))))
    if "{branch}" in text:
        text = text.replace("{branch}", city.branches_zh[int(rng.integers(len(city.branches_zh)))])
    return text.replace("{city_zh}", city.name_zh).replace("{city}", city.name_en)


def statement_text(merchant: Merchant, rng: np.random.Generator, city: City, english_share: float,
                   via_wallet: bool) -> str:
    """What the bank statement shows for one payment at ``merchant``."""
    english = rng.random() < english_share
    if via_wallet:
        templates = WALLET_TEMPLATES_EN if english else WALLET_TEMPLATES_ZH
        name = merchant.wallet_en if english else merchant.wallet_zh
        return templates[int(rng.integers(len(templates)))].format(name=name)
    templates = merchant.statement_en if english else merchant.statement_zh
    return render(templates[int(rng.integers(len(templates)))], rng, city)


def ticket_cents(merchant: Merchant, rng: np.random.Generator, scale: float = 1.0) -> int:
    """One purchase amount in cents (positive): a fixed price, or lognormal around the median."""
    if merchant.fixed_prices_cents:
        return merchant.fixed_prices_cents[int(rng.integers(len(merchant.fixed_prices_cents)))]
    cents = merchant.median_cny * 100.0 * scale * float(np.exp(merchant.spread * rng.standard_normal()))
    return max(100, int(round(cents)))
