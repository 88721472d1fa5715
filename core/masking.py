"""Finds personal data in report text and masks it before anything is stored, logged or prompted."""

from __future__ import annotations

import re

from core.types import PersonalDatum

# Common surnames, so that "我是这个小区的" is not taken for a name while "我叫王建国" is.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池乜养植"
)
_NAME_INTRO = r"(?:我叫|我的名字是|本人|联系人|姓名|报告人|反映人|来电人|名叫)[:：\s]*"

PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("id_card", "[身份证号]", re.compile(
        r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9])"
    )),
    ("bank_card", "[银行卡号]", re.compile(r"(?<![0-9])(?:62|4\d|5[1-5])\d{14,17}(?![0-9])")),
    ("mobile", "[手机号]", re.compile(
        r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![0-9])"
    )),
    ("landline", "[电话]", re.compile(r"(?<![0-9])0\d{2,3}[-\s]?\d{7,8}(?![0-9])")),
    ("email", "[邮箱]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("name", "[姓名]", re.compile(
        rf"{_NAME_INTRO}(?P<v>[{_SURNAMES}][\u4e00-\u9fff]{{1,2}})(?=[，,。.\s；;、!！]|$|电话|手机|住|家住|是)"
    )),
    ("name", "[姓名]", re.compile(rf"[{_SURNAMES}](?:先生|女士|小姐)")),
)

# A mainland plate: province, letter, then five (six for new-energy) letters or digits, no I or O.
PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•\s]?"
    r"[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警]{1,2}(?![A-Za-z0-9])"
)


def find_personal_data(text: str) -> list[PersonalDatum]:
    found: list[PersonalDatum] = []
    for kind, _, pattern in PATTERNS:
        for m in pattern.finditer(text):
            group = "v" if "v" in pattern.groupindex else 0
            start, end = m.span(group)
            if any(start < f.end and f.start < end for f in found):
                continue
            found.append(PersonalDatum(kind=kind, value=m.group(group), start=start, end=end))
    return sorted(found, key=lambda f: f.start)


def mask(text: str) -> tuple[str, list[PersonalDatum]]:
    """The text with every personal datum replaced by a placeholder naming its kind."""
    found = find_personal_data(text)
    placeholder = {kind: token for kind, token, _ in PATTERNS}
    out, last = [], 0
    for f in found:
        out.append(text[last : f.start])
        out.append(placeholder[f.kind])
        last = f.end
    out.append(text[last:])
    return "".join(out), found


def mask_plates(text: str) -> str:
    """Plate numbers masked; used for prompts where the category does not need the plate."""
    return PLATE.sub("[车牌号]", text)
