"""Masking residents' personal data in free text (case descriptions quoted in documents).

Telegram-free and pure. `mask_text` hides, in this order: ID card numbers (18 digits, the last may be X;
and the old 15-digit form), phone numbers (mobiles, with spaces or dashes; landlines with an area code),
house-level address parts (building, unit, room and door numbers: the street or community stays, it is
what a theme is about), and personal names where the text marks them as names (after 我叫/姓名/联系人
and similar, before 先生/女士/大爷 and similar, or after 村民/居民/老人 and similar when a common
surname follows). A name keeps its surname: 王建国 → 王某某.

Masking errs on the side of hiding: a word after a name marker that only looks like a name is masked
too. Quoting nothing personal matters more than quoting every word.
"""

from __future__ import annotations

import re

# the most common surnames (about 85 % of people): a name marker is trusted only before one of them
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# two-character surnames
DOUBLE_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯")
# characters that end a given name early: a name is one or two characters, never one of these
_NOT_NAME = "反映说称的在家是和与等了也都还又曾被把向对给从到去来要想叫住号岁"
_GIVEN = rf"[\u4e00-\u9fff](?<![{_NOT_NAME}])(?:[\u4e00-\u9fff](?<![{_NOT_NAME}]))?"
_SURNAME = rf"(?:{'|'.join(DOUBLE_SURNAMES)}|[{SURNAMES}])"

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})(?:[0-9]{8}[0-9]{3}[0-9Xx]|[0-9]{6}[0-9]{3})(?![0-9A-Za-z])")
# a mainland mobile (11 digits from 1[3-9]), written with spaces or dashes inside, +86 or not
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
# a landline with its area code: 0931-1234567, (0931)8123456, 010 12345678
LANDLINE = re.compile(r"(?<![0-9])(?:\(|（)?(0[1-9][0-9]{1,2})(?:\)|）|-| )?([0-9]{3,4})[ -]?([0-9]{4})(?![0-9])")
# the house-level parts of an address: 3号楼 2单元 501室 12栋 8幢 门牌12号 人民路15号 …; a floor (六层楼, 住一楼)
# says little without them and stays, as do counts such as 一户人家
HOUSE = re.compile(r"[0-9０-９]+(?=\s*(?:号楼|栋|幢|单元|室|户|号院|号|弄))"
                   r"|[一二三四五六七八九十百零〇]+(?=\s*(?:号楼|栋|幢|单元|号院|号))")
ROOM = re.compile(r"(?<![0-9])([0-9]{3,4})(?=\s*(?:房|房间|室))")
# names the text marks as names
NAME_AFTER = re.compile(rf"(我叫|名叫|叫做|姓名[:：]?\s*|联系人[:：]?\s*|户主[:：]?\s*|本人|家属|申请人[:：]?\s*)"
                        rf"({_SURNAME})({_GIVEN})")
NAME_BEFORE = re.compile(rf"({_SURNAME})({_GIVEN})(?=先生|女士|同志|师傅|大爷|大妈|大娘|阿姨|奶奶|爷爷|老人|老师|医生)")
NAME_AFTER_ROLE = re.compile(rf"(村民|居民|老人|患者|职工|学生|业主|租户|群众|村医|老党员|老兵)({_SURNAME})({_GIVEN})"
                             rf"(?=[，,。、；;：:\s]|反映|说|称|家|的|在|因|于|今|去|向|来|多|一)")

MASK = "*"


def mask_id_number(text: str) -> str:
    """ID card numbers: the region code (first 6 digits) stays, the birth date and the rest become *."""
    return ID_NUMBER.sub(lambda m: m[1] + MASK * (len(m[0]) - 6), text)


def mask_phones(text: str) -> str:
    """Mobiles as 138****5678 (as the exports show them); landlines keep the area code and the last two digits."""
    text = MOBILE.sub(lambda m: f"{m[1]}{MASK * 4}{m[3]}", text)
    return LANDLINE.sub(lambda m: f"{m[1]}-{MASK * (len(m[2]) + len(m[3]) - 2)}{m[3][-2:]}", text)


def mask_address(text: str) -> str:
    """House, building, unit and room numbers become *; the street, village or community stays."""
    text = HOUSE.sub(lambda m: MASK * len(m[0]), text)
    return ROOM.sub(lambda m: MASK * len(m[1]), text)


def mask_names(text: str) -> str:
    """Names the text marks as names keep their surname: 我叫王建国 → 我叫王某某."""
    text = NAME_AFTER.sub(lambda m: m[1] + m[2] + "某" * len(m[3]), text)
    text = NAME_AFTER_ROLE.sub(lambda m: m[1] + m[2] + "某" * len(m[3]), text)
    return NAME_BEFORE.sub(lambda m: m[1] + "某" * len(m[2]), text)


def mask_text(text: str | None, *, extra_names: tuple[str, ...] = ()) -> str:
    """`text` with ID numbers, phones, house-level address parts and names masked. `extra_names`: names known
    to belong to the case (the requester as a member recorded them, the resident's own name), masked wherever
    they appear."""
    if not text:
        return ""
    text = mask_id_number(text)  # before phones: an ID number holds 11-digit runs that look like mobiles
    text = mask_phones(text)
    for name in sorted({n.strip() for n in extra_names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, name[0] + "某" * (len(name) - 1))
    text = mask_names(text)
    return mask_address(text)


def excerpt(text: str | None, limit: int = 80, *, extra_names: tuple[str, ...] = ()) -> str:
    """A masked excerpt of at most `limit` characters (… when cut); whitespace runs as one space."""
    masked = " ".join(mask_text(text, extra_names=extra_names).split())
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"
