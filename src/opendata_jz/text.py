"""Source-text normalisation and reading of figures in Chinese text (stdlib only).

Reading rules, in short (each one is tested):

* A figure is a number (Arabic digits, full-width digits, ``16,158``, ``1.5``, or Chinese
  numerals) with an optional qualifier before it (近 約/约 超 超過/超过 逾 突破), an optional
  余/餘/多 after it, an optional multiplier (十 百 千 萬/万 億/亿, alone or as 千萬, 百萬 ...),
  an optional unit or measure word from :data:`UNITS`, and an optional 以上/左右 after all.
  ``百分之十二`` reads as 12 with unit ``%``. The unit keeps the multiplier (萬元) and the
  percent sign as printed (% or ％); ``multiplier`` is 1 for percentages.
* ``,`` and ``，`` are thousands separators only between a run of 1-3 digits and exactly three
  digits (``16,158``); anywhere else they separate clauses.
* Not figures: dates and years (``2019年``, ``2023年11月8日``, ``9月底``, ``3季度``),
  periods (``2021-2022年``), look-back periods (``近5年來``, ``近三年``, ``過去10個月``,
  ``5年來``; but 歷時近3年 is a figure), document numbers (``〔2023〕12號``), anything
  after 第 (ordinals), numbers joined to other digits by ``- / . :`` (codes, dates, clock
  times, and so ranges like 3-5家), numbers touching ASCII letters (``5G``, ``ISO 9001``),
  and an Arabic number without a unit that is followed by anything but whitespace, a
  clause delimiter or the end (``12315熱線``, ``“12315”``: names, not counts).
* Chinese numerals are read conservatively. They need a unit from :data:`UNITS` other than
  年 期 屆 (百年, 二期工程, 十四屆 name or rank things); a multiplier alone (千萬) is not a
  unit. A lone 一 needs a qualifier or a multiplier (一批, 一系列, 一家企業 are not figures;
  近一成, 一成以上, 一萬家 are), and so does a lone 二 (二次開發: counts say 兩). Adjacent
  digits without a place value (七八家, 十四五) are guesses or names. A numeral right after an
  opening quote or 《 names something (“兩個維護”). A few idioms (:data:`IDIOMS`) are skipped.
* Chinese numerals keep 萬 and 億 as multipliers, like Arabic numbers (三萬元 → 3 萬元), but
  read 十 百 千 as part of the number (三千家 → 3000 家); ``3千家`` is 3 with unit 千家.
* Known gaps: qualifiers outside the five kinds (不足, 不到, 以下) leave a figure ``exact``;
  ranges are not read as such (3-5家 gives nothing, 3至5家 only 5家); a mixed form such as
  ``2萬3千人`` reads as two figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_CANDIDATE = re.compile(
    rf"(?<=[{_HAN}])(?:\(([a-zü{_TONED}]{{1,7}})\)|（([a-zü{_TONED}]{{1,7}})）)"
)
_DETONE = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ", "aaaaeeeeiiiioooouuuuüüüünnnm")
_SYLLABLE = re.compile(
    r"(?:[zcs]h|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|iao|ian|uai|uan|üan|ai|ei|ui|ao|ou|iu|ie|üe|ue|er"
    r"|an|en|in|un|ün|ia|ua|uo|a|o|e|i|u|ü)r?"
)


def _is_pinyin(syllable: str) -> bool:
    """Whether a lowercase word is a pinyin syllable (toned, or untoned of 2+ letters)."""
    plain = syllable.translate(_DETONE)
    toned = plain != syllable
    return bool(_SYLLABLE.fullmatch(plain)) and (toned or len(plain) >= 2)


def normalise(raw: str) -> str:
    """Remove pinyin annotations such as 「質(zhì)量」 → 「質量」; nothing else changes.

    An annotation is a parenthesised lowercase pinyin syllable (ASCII or full-width
    parentheses) directly after a Han character. A single untoned letter such as ``(a)`` is
    kept, as it is more likely a list label than pinyin.
    """

    def repl(m: re.Match[str]) -> str:
        return "" if _is_pinyin(m.group(1) or m.group(2)) else m.group(0)

    return _PINYIN_CANDIDATE.sub(repl, raw)


@dataclass(frozen=True)
class Figure:
    """A figure as printed in a text; ``value * multiplier`` is its value in base units."""

    value: float | int
    unit: str
    qualifier: str
    token: str
    start: int
    end: int
    multiplier: int | float


# Units and measure words (traditional and simplified), matched longest first.
_UNIT_WORDS = """
    % ％ 成 倍 個百分點 个百分点 百分點 百分点
    元 美元 港元 歐元 欧元
    人 名 位 戶 户 人次 家次 戶次 户次
    部門 部门 個 个 家 項 项 張 张 件 所 批 次 種 种 類 类 臺 台 輛 辆 座 條 条 份 套 處 处 間 间
    棟 栋 艘 架 株 棵 支 部 篇 期 場 场 起 宗 例 款 枚 箱 袋 瓶 盒 塊 块 輪 轮 屆 届 組 组
    隊 队 批次 車次 车次 架次 場次 场次 項次 项次 件次 臺件 台件 臺套 台套 臺次 台次
    天 周 年 個月 个月 個工作日 个工作日 工作日 小時 小时
    噸 吨 千克 公斤 克 公里 千米 米 平方米 平方公里 平方千米 立方米 畝 亩 公頃 公顷
    千瓦 千瓦時 千瓦时 兆瓦
"""
UNITS: tuple[str, ...] = tuple(sorted(set(_UNIT_WORDS.split()), key=lambda u: (-len(u), u)))
# After Chinese numerals 年 期 屆 mostly name or rank things (百年, 二期工程, 十四屆人大).
_CN_UNITS = tuple(u for u in UNITS if u not in {"年", "期", "屆", "届"})

# Idioms that contain a numeral followed by a unit but state no figure.
IDIOMS: tuple[str, ...] = (
    "千家萬戶",
    "千家万户",
    "百家爭鳴",
    "百家争鸣",
    "萬家燈火",
    "万家灯火",
    "三番五次",
    "千人一面",
    "五位一體",
    "五位一体",
    "三位一體",
    "三位一体",
    "信心百倍",
)

_D = "0-9０-９"
_CN_DIGIT = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_PLACE = {"十": 10, "百": 100, "千": 1000, "萬": 10_000, "万": 10_000}
_CN_PLACE |= {"億": 100_000_000, "亿": 100_000_000}
_CN = "".join(_CN_DIGIT) + "".join(_CN_PLACE)
_BIG = "萬万億亿"

# 1-3 digits, then groups of exactly three after , or ，(16,158); else a plain run; then decimals.
_GROUPED = rf"(?<![{_D}.．])[{_D}]{{1,3}}(?:[,，][{_D}]{{3}})+(?![{_D}])"
_ARABIC = rf"(?:{_GROUPED}|[{_D}]+)(?:[.．][{_D}]+)?"
_CN_RUN = rf"[{_CN}]+(?:[點点][{''.join(_CN_DIGIT)}]+)?"
_NUMBER = re.compile(rf"(?P<pct>百分之)?(?:(?P<ar>{_ARABIC})|(?P<cn>{_CN_RUN}))")

_MULTS = sorted(
    (a + b for a in ("", *"十百千") for b in ("", *_BIG) if a + b),
    key=len,
    reverse=True,
)


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(map(re.escape, words))


def _tail(units: tuple[str, ...]) -> re.Pattern[str]:
    # A unit that starts with a multiplier character (千米, 百分點) beats multiplier + unit.
    return re.compile(
        rf"(?P<q1>[余餘多])?(?:(?P<unit>{_alt(units)})"
        rf"|(?P<mult>{_alt(_MULTS)})(?P<q2>[余餘多])?(?P<munit>{_alt(units)})?)?"
        r"(?P<post>以上|左右)?"
    )


_TAIL = _tail(UNITS)
_CN_TAIL = _tail(_CN_UNITS)

_PRE = {"超過": "more_than", "超过": "more_than", "突破": "more_than", "超": "more_than"}
_PRE |= {"逾": "more_than", "約": "about", "约": "about", "近": "nearly"}
_PRE_WORDS = sorted(_PRE, key=len, reverse=True)
_POST = {"以上": "at_least", "左右": "about"}
_POST_RE = re.compile(r"(?P<post>以上|左右)?")

_DATE_TAIL = r"(?:份|底|初|末|中旬|上旬|下旬)?"
_NOT_FIGURE = re.compile(
    "|".join(
        [
            # periods: 2021-2022年, 2021—2025年, 2021年至2025年
            rf"[{_D}]{{4}}\s*年?\s*[-—–－~～至到]+\s*[{_D}]{{4}}\s*年?",
            # look-back periods: 近5年來, 近三年, 過去10個月, 最近兩年, 近30天, 5年來; but
            # 歷時近3年 (it took nearly 3 years) is a figure
            rf"(?<!時|时)(?:近|最近|過去|过去)\s*[{_D}{_CN}]+\s*(?:個|个)?\s*(?:年|月|天|日|周|週)"
            r"(?:來|来|以來|以来|間|间|內|内|中)?",
            rf"[{_D}{_CN}]+\s*(?:個|个)?\s*(?:年|月)(?:來|来|以來|以来)",
            # document numbers: 〔2023〕12號, [2023]12号, (2023)遼07民初123號, and 〔2023〕 alone
            rf"[〔\[［【(（]\s*[{_D}]{{4}}\s*[〕\]］】)）]"
            rf"(?:[^\s,，。；;、]{{0,10}}?[{_D}]+\s*[號号])?",
            # dates: 2023年11月8日, 2019年, 2023年度, 9月底, 8日, 12號
            rf"(?:[{_D}]{{4}}\s*年[度底初末]?|[{_D}]{{2}}\s*年(?=\s*[{_D}]{{1,2}}\s*月))"
            rf"(?:\s*[{_D}]{{1,2}}\s*月{_DATE_TAIL}(?:\s*[{_D}]{{1,2}}\s*[日號号])?)?",
            rf"(?<![{_D}.．])[{_D}]{{1,2}}\s*月{_DATE_TAIL}(?:\s*[{_D}]{{1,2}}\s*[日號号])?",
            rf"(?<![{_D}.．])[{_D}]{{1,2}}\s*(?:[日號号]|季度|[時时點点](?:\s*[{_D}]{{1,2}}\s*分)?)",
            *map(re.escape, IDIOMS),
        ]
    )
)
_JOINED_AFTER = re.compile(rf"[-/.．:：－][{_D}]")
_JOINED_BEFORE = re.compile(rf"[{_D}][-/.．:：－]$")
_LETTER_BEFORE = re.compile(r"[A-Za-z][A-Za-z/]*[ \-]?$")
_LETTER_AFTER = re.compile(r"[A-Za-z]")
_ORDINAL_BEFORE = re.compile(r"第\s*$")
_OPENERS = "“「『‘《\"＂'"
# What may follow a bare Arabic number for it to count as a figure without a unit.
_BARE_END = {"", *" \t\r\n\u3000,，、;；。!！?？"}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def _arabic_value(s: str) -> int | float:
    s = s.translate(_FULLWIDTH).replace(",", "")
    return float(s) if "." in s else int(s)


def _cn_int(s: str) -> int | None:
    """Read a Chinese integer numeral (兩百, 二十三, 一萬二千, 三百五); None if not a count."""
    if all(c in _CN_DIGIT for c in s):
        # A single digit is a count; a run of digits (二〇二三, 七八) is a year or a guess.
        return _CN_DIGIT[s] if len(s) == 1 else None
    total = section = 0
    digit: int | None = None
    place: int | None = None  # last of 十百千 in this section
    big: int | None = None  # last of 萬億
    zero = False
    for c in s:
        if c in "零〇":
            zero = True
        elif c in _CN_DIGIT:
            if digit is not None:
                return None
            digit = _CN_DIGIT[c]
        elif (p := _CN_PLACE[c]) < 10_000:
            if place is not None and p >= place:
                return None
            section += (1 if digit is None else digit) * p
            digit, place, zero = None, p, False
        else:
            section += digit or 0
            if section == 0:
                return None
            total = (total + section) * p if p > 10_000 else total + section * p
            section, digit, place, big, zero = 0, None, None, p, False
    if digit is not None:
        # 三百五 = 350 and 一萬二 = 12000: a trailing digit after a place value without 零.
        if not zero and place is not None and place >= 100:
            digit *= place // 10
        elif not zero and place is None and big is not None:
            digit *= big // 10
        section += digit
    return total + section


def _cn_value(s: str) -> int | float | None:
    """Read a Chinese numeral with an optional decimal part (三點五 → 3.5); None if not a count."""
    whole, _, frac = s.replace("点", "點").partition("點")
    value = _cn_int(whole)
    if value is None or (value == 0 and not frac):  # 零件 is "parts", not zero items
        return None
    if not frac:
        return value
    return float(f"{value}." + "".join(str(_CN_DIGIT[c]) for c in frac))


def _pre_qualifier(text: str, start: int) -> str:
    """The qualifier word ending at ``start``, or ""."""
    for word in _PRE_WORDS:
        if start >= len(word) and text.startswith(word, start - len(word)):
            # 最近3年 is "the last 3 years", not "nearly".
            if word == "近" and start >= 2 and text[start - 2] in "最附":
                return ""
            return word
    return ""


def find_figures(text: str) -> list[Figure]:
    """Every figure stated in ``text``, in order (see the module docstring for the rules)."""
    excluded = [m.span() for m in _NOT_FIGURE.finditer(text)]  # sorted, non-overlapping
    figures: list[Figure] = []
    pos = i = 0
    while m := _NUMBER.search(text, pos):
        pos = m.end()
        num_start = m.start("ar") if m.group("ar") else m.start("cn")
        while i < len(excluded) and excluded[i][1] <= num_start:
            i += 1
        if i < len(excluded) and excluded[i][0] < m.end():
            pos = max(pos, excluded[i][1])
            continue
        figure = _read(text, m)
        if figure is not None:
            figures.append(figure)
            pos = figure.end
    return figures


def _read(text: str, m: re.Match[str]) -> Figure | None:
    """The figure that starts with number match ``m``, or None if it is not a figure."""
    start = m.start()
    before = text[max(0, start - 12) : start]
    if _ORDINAL_BEFORE.search(before):
        return None
    pct = bool(m.group("pct"))
    if m.group("ar"):
        num_end = m.end("ar")
        if (
            _LETTER_BEFORE.search(before)
            or _JOINED_BEFORE.search(before)
            or _JOINED_AFTER.match(text, num_end)
            or _LETTER_AFTER.match(text, num_end)
        ):
            return None
        value: int | float | None = _arabic_value(m.group("ar"))
        tail = _TAIL
    else:
        digits = m.group("cn")
        if not pct and not any(c in "點点" for c in digits):
            # Leave a trailing 萬/億 to the multiplier, as after Arabic digits (三萬元 → 3 萬元).
            digits = digits.rstrip(_BIG)
        if not digits or (before and before[-1] in _OPENERS):
            return None
        num_end = m.start("cn") + len(digits)
        value = _cn_value(digits)
        tail = _CN_TAIL
    if value is None:
        return None

    pre = _pre_qualifier(text, start)
    qualifier = _PRE.get(pre, "exact")
    token_start = start - len(pre)
    if pct:
        t = _POST_RE.match(text, num_end)
        unit, mult, more, post, end = "%", "", False, t.group("post"), t.end()
    else:
        t = tail.match(text, num_end)
        unit = t.group("unit") or t.group("munit") or ""
        mult = t.group("mult") or ""
        more = bool(t.group("q1") or t.group("q2"))
        post, end = t.group("post"), t.end()
        if not unit and not mult and more and text[end : end + 1] not in _BARE_END:
            # 10多類型: the 多 belongs to the following word.
            more, end = False, num_end
    if m.group("cn") and not pct:
        # A lone 一 is an article or idiom (一批, 一家企業) unless qualified or multiplied; a
        # lone 二 before a measure word is an ordinal or a name (二次開發): counts use 兩.
        if not unit or (digits in ("一", "二") and not (mult or pre or post or more)):
            return None
    elif m.group("ar") and not (unit or mult or pct) and text[end : end + 1] not in _BARE_END:
        return None
    if more:
        qualifier = "more_than"
    elif post and qualifier == "exact":
        qualifier = _POST[post]
    multiplier = 1
    for c in mult:
        multiplier *= _CN_PLACE[c]
    return Figure(
        value=value,
        unit=mult + unit,
        qualifier=qualifier,
        token=text[token_start:end],
        start=token_start,
        end=end,
        multiplier=multiplier,
    )


_DELIMS = set(",，、;；。")
_THOUSANDS = re.compile(_GROUPED)


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around ``[start, end)``: to the nearest ``,，、;；。`` or line end each side.

    Delimiters are excluded from the clause; a comma inside a thousands group (16,158) is not a
    delimiter.
    """
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    ends = [i for i in (text.find("\n", end), text.find("\r", end)) if i != -1]
    line_end = min(ends, default=len(text))
    line = text[line_start:line_end]
    grouped = {
        line_start + i
        for g in _THOUSANDS.finditer(line)
        for i in range(g.start(), g.end())
        if line[i] in ",，"
    }

    def is_delim(i: int) -> bool:
        return text[i] in _DELIMS and i not in grouped

    q_start = start
    while q_start > line_start and not is_delim(q_start - 1):
        q_start -= 1
    q_end = end
    while q_end < line_end and not is_delim(q_end):
        q_end += 1
    return q_start, q_end
