"""Realistic wire stories for the story tests: the same story from several outlets, and
different stories on the same topic that share many terms. Written for these tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A title and a summary as an outlet's feed carries them."""

    title: str
    summary: str


# --- the same story, as the wire sent it and as other outlets republished it -------------------

XINHUA_CN_RU = Text(
    "China, Russia agree to deepen anti-drug cooperation",
    "BEIJING, March 3 (Xinhua) -- China and Russia agreed on Tuesday to deepen cooperation in "
    "fighting cross-border drug trafficking, including intelligence sharing on synthetic drugs "
    "and joint investigations into money laundering, the Ministry of Public Security said after "
    "talks in Beijing between the two countries' anti-drug agencies. Both sides also pledged to "
    "tighten controls on precursor chemicals and to hold annual meetings of their drug-control "
    "liaison officers.",
)
# Headline re-punctuated, dateline dropped, summary trimmed mid-sentence.
MEKONG_CN_RU = Text(
    "China and Russia agree to deepen anti-drug cooperation",
    "China and Russia agreed on Tuesday to deepen cooperation in fighting cross-border drug "
    "trafficking, including intelligence sharing on synthetic drugs and joint investigations…",
)
# Headline with a colon and different case, only the first sentence kept.
TASS_CN_RU = Text(
    "China, Russia Agree To Deepen Anti-Drug Cooperation: Ministry",
    "China and Russia agreed on Tuesday to deepen cooperation in fighting cross-border drug "
    "trafficking, including intelligence sharing on synthetic drugs and joint investigations "
    "into money laundering, the Ministry of Public Security said.",
)
# A new headline of the outlet's own over the wire's first sentence.
GLOBAL_CN_RU = Text(
    "Beijing and Moscow to step up fight against drug smuggling",
    "China and Russia agreed on Tuesday to deepen cooperation in fighting cross-border drug "
    "trafficking, including intelligence sharing on synthetic drugs and joint investigations "
    "into money laundering.",
)
# Lightly edited: the day named as a date, "in the fight against" for "in fighting".
CGTN_CN_RU = Text(
    "China, Russia to deepen anti-drug cooperation",
    "China and Russia agreed on March 3 to deepen cooperation in the fight against cross-border "
    "drug trafficking, including intelligence sharing on synthetic drugs and joint "
    "investigations into money laundering, the Ministry of Public Security said after talks in "
    "Beijing between the two countries' anti-drug agencies.",
)

# --- different stories on the same topic -------------------------------------------------------

SCO_BEIJING = Text(
    "SCO anti-drug agency heads meet in Beijing",
    "Heads of the anti-drug agencies of the Shanghai Cooperation Organization member states met "
    "in Beijing on Thursday and agreed to work toward a permanent anti-drug centre, the Ministry "
    "of Public Security said.",
)
SCO_DUSHANBE = Text(
    "SCO anti-drug officials meet in Dushanbe to review drug situation",
    "Senior officials of the anti-drug agencies of the Shanghai Cooperation Organization member "
    "states met in Dushanbe on Wednesday to review the regional drug situation and plan joint "
    "operations against Afghan heroin trafficking.",
)
MEKONG_PATROL_1 = Text(
    "China, Laos, Myanmar, Thailand launch joint Mekong patrol",
    "Law enforcement forces from China, Laos, Myanmar and Thailand on Monday launched their "
    "140th joint patrol on the Mekong River, focusing on drug trafficking and cross-border "
    "crime, according to the Ministry of Public Security.",
)
MEKONG_PATROL_2 = Text(
    "Joint Mekong River patrol seizes methamphetamine pills",
    "Law enforcement forces from China, Laos, Myanmar and Thailand seized 1.2 million "
    "methamphetamine pills during their joint patrol on the Mekong River, focusing on drug "
    "trafficking routes out of the Golden Triangle, according to the Ministry of Public Security.",
)

# --- Russian -------------------------------------------------------------------------------------

TASS_RU = Text(
    "Россия и Китай договорились расширить сотрудничество в борьбе с наркотиками",
    "МОСКВА, 3 марта. /ТАСС/. Россия и Китай договорились расширить обмен информацией о каналах "
    "контрабанды синтетических наркотиков и прекурсоров, сообщили в МВД РФ по итогам встречи в "
    "Москве. Стороны также обсудили совместные расследования.",
)
RIA_RU = Text(
    "Россия и Китай договорились расширить сотрудничество в борьбе с наркотиками!",
    "Россия и Китай договорились расширить обмен информацией о каналах контрабанды синтетических "
    "наркотиков и прекурсоров, сообщили в МВД РФ.",
)
KAZAKHSTAN_RU = Text(
    "Россия и Казахстан договорились о совместной борьбе с наркотиками",
    "Россия и Казахстан договорились о совместных операциях против контрабанды синтетических "
    "наркотиков на границе, сообщили в МВД РФ по итогам встречи в Астане.",
)

# --- Chinese -------------------------------------------------------------------------------------

XINHUA_ZH = Text(
    "中俄同意深化禁毒合作",
    "新华社北京3月3日电 中国和俄罗斯3日同意深化打击跨境毒品犯罪合作，"
    "加强合成毒品情报交流和洗钱联合调查。双方还承诺加强易制毒化学品管控。",
)
REPOST_ZH = Text(
    "中俄同意深化禁毒合作！",
    "中国和俄罗斯3日同意深化打击跨境毒品犯罪合作，加强合成毒品情报交流和洗钱联合调查。",
)
SCO_BEIJING_ZH = Text(
    "上合组织成员国禁毒部门领导人会议在北京举行",
    "上海合作组织成员国禁毒部门领导人第十次会议在北京举行，各方同意推动建立上合组织禁毒中心。",
)
SCO_DUSHANBE_ZH = Text(
    "上合组织禁毒高官会在杜尚别举行",
    "上海合作组织成员国禁毒部门高官会议在杜尚别举行，各方研究地区毒品形势并商定联合行动计划。",
)

SAME_STORY = [
    ("wire and a trimmed repost", XINHUA_CN_RU, MEKONG_CN_RU),
    ("wire and a first-sentence repost", XINHUA_CN_RU, TASS_CN_RU),
    ("two reposts of one wire", MEKONG_CN_RU, TASS_CN_RU),
    ("wire and a repost with its own headline", XINHUA_CN_RU, GLOBAL_CN_RU),
    ("wire and a lightly edited repost", XINHUA_CN_RU, CGTN_CN_RU),
    ("Russian reposts", TASS_RU, RIA_RU),
    ("Chinese reposts", XINHUA_ZH, REPOST_ZH),
]
DIFFERENT_STORIES = [
    ("two SCO anti-drug meetings", SCO_BEIJING, SCO_DUSHANBE),
    ("two Mekong patrol stories", MEKONG_PATROL_1, MEKONG_PATROL_2),
    ("China-Russia talks and an SCO meeting", XINHUA_CN_RU, SCO_BEIJING),
    ("Russian: China and Kazakhstan deals", TASS_RU, KAZAKHSTAN_RU),
    ("Russian: trimmed repost and another deal", RIA_RU, KAZAKHSTAN_RU),
    ("Chinese: two SCO meetings", SCO_BEIJING_ZH, SCO_DUSHANBE_ZH),
    ("Chinese: talks and a meeting", XINHUA_ZH, SCO_BEIJING_ZH),
]
