"""Entity-dense benchmark items: ~1.5 KB of words typical of drug-cooperation news.

Each item is made of short clauses in which countries, demonyms, national agencies,
international bodies, drug and cooperation terms, and cues such as "from X" or "X nationals"
stand among ordinary words, the way a dense wire story reads once its grammar is thinned out.
The worst case for the matcher: many hits per item, many entity mentions whose context the
actor cues read, and most items cross the gates (so every part of the score is built).
Vocabulary written for this benchmark; nothing here comes from the labelled eval data.
"""

from __future__ import annotations

import random

from bot.core.models import Item


def _words(text: str) -> list[str]:
    """A slot's words and phrases, written one after another with `;` between them."""
    return [word.strip() for word in text.split(";")]


# Per language: slot -> words. Slots: C country, D demonym (adjective), A national agency,
# B international body, G drug term, K cooperation term, X cross-border term, W ordinary word.
_EN = {
    "C": _words(
        "China; Myanmar; Laos; Thailand; Vietnam; Cambodia; Russia; Tajikistan; Kazakhstan; "
        "Kyrgyzstan; Uzbekistan; Afghanistan; Iran; Pakistan; India; the United States; Mexico; "
        "Colombia; Peru; Ecuador; Brazil; Nigeria; Ghana; the UK; Australia; Canada; the "
        "Netherlands; Spain; Malaysia; Indonesia; the Philippines; Turkey"
    ),
    "D": _words(
        "Chinese; Thai; Lao; Burmese; Russian; Tajik; Kazakh; Afghan; Iranian; Mexican; "
        "Colombian; Peruvian; Nigerian; Ghanaian; British; Australian; Canadian; Dutch; "
        "Spanish; Malaysian; Indonesian; Filipino; Turkish"
    ),
    "A": _words(
        "the DEA; the Drug Enforcement Administration; the National Crime Agency; the FSB; the "
        "Royal Thai Police; the Australian Federal Police; the NDLEA; the Ministry of Public "
        "Security; the Philippine Drug Enforcement Agency; the Anti-Narcotics Force; the "
        "Federal Customs Service; the RCMP; the National Narcotics Board; the "
        "Bundeskriminalamt; the FBI; the Narcotics Control Commission; the Royal Malaysia "
        "Police"
    ),
    "B": _words(
        "UNODC; Interpol; Europol; the SCO; ASEAN; the CSTO; the INCB; the Commission on "
        "Narcotic Drugs; the United Nations; the European Union; CARICC; the Paris Pact; "
        "ECOWAS; the African Union; the Colombo Plan"
    ),
    "G": _words(
        "heroin; methamphetamine; cocaine; fentanyl; synthetic drugs; opium; drug trafficking; "
        "drug traffickers; narcotics; precursor chemicals; ketamine; drug smuggling; cannabis; "
        "drug control; anti-drug; counter-narcotics; drug cartels; crystal meth; illicit drugs; "
        "drug seizures"
    ),
    "K": _words(
        "cooperation; joint operation; intelligence sharing; extradition; memorandum of "
        "understanding; bilateral; counterparts; jointly; agreement; joint investigation; "
        "handed over; exchange of information; partnership; coordinated; joint patrols; "
        "training programme; liaison officers"
    ),
    "X": _words("cross-border; transnational; international; regional; border areas"),
    "W": _words(
        "the; said; on; Monday; Tuesday; officials; meeting; in; and; of; a; to; with; police; "
        "ministry; week; year; after; new; report; capital; province; border; statement; tons; "
        "kilograms; arrested; seized; suspects; network; court; minister; deputy; security; "
        "case; local; authorities; announced; last; since; about; their; this"
    ),
}
_EN_CLAUSES = [
    "W A W K W C W G W",
    "W C W D W G W W W",
    "W B W K W C W C W X W",
    "W G W from C W W A W",
    "D nationals W G W W C W",
    "W C W W A W K W W G",
    "W W bound for C W G W B",
    "W A W A W K W X W G W",
    "W W W C police W W D W G",
    "W officials from C W K W W B W",
    "W W citizens of C W W G W W",
    "W K W G W C W W W W",
]

_ZH = {
    "C": _words(
        "中国; 缅甸; 老挝; 泰国; 越南; 柬埔寨; 俄罗斯; 哈萨克斯坦; 美国; "
        "阿富汗; 巴基斯坦; 澳大利亚; 哥伦比亚; 墨西哥; 马来西亚; 印度尼西亚"
    ),
    "D": _words("缅籍; 泰籍; 越南籍; 老挝籍; 中国籍"),
    "A": _words(
        "公安部; 国家禁毒委员会; 泰国警方; 缅甸警方; 美国缉毒局; 老挝警方; "
        "澳大利亚联邦警察; 海关; 边防部门"
    ),
    "B": _words(
        "联合国毒品和犯罪问题办公室; 上合组织; 东盟; 国际刑警组织; 联合国; 集体安全条约组织; 欧盟"
    ),
    "G": _words(
        "毒品; 海洛因; 冰毒; 制毒物品; 贩毒; 禁毒; 缉毒; 毒品犯罪; "
        "易制毒化学品; 芬太尼; 大麻; 鸦片; 合成毒品; 毒贩; 走私毒品"
    ),
    "K": _words(
        "合作; 联合行动; 情报交流; 执法合作; 引渡; 移交; 双边; 会谈; "
        "协议; 联合调查; 联合巡逻; 交流; 培训"
    ),
    "X": _words("跨境; 跨国; 国际; 区域; 边境地区"),
    "W": _words(
        "会议; 双方; 表示; 今年; 地区; 加强; 工作; 部门; 日; 在; 和; "
        "的; 进一步; 开展; 近日; 方面; 记者; 获悉; 期间; 有关; 取得; "
        "成果; 共同; 举行; 代表; 负责人; 案件; 抓获; 嫌疑人; 缴获; 千克"
    ),
}
_ZH_CLAUSES = [
    "W A W K W C W G W",
    "W C W C W G W K W",
    "W B W K W X W G",
    "来自 C W G W W A",
    "D W G W W C W",
    "W 运往 C W G W B W",
    "C 警方 W K W G W W",
    "W 产自 C W G W W X W",
    "W W A W A W K W G",
]

_RU = {
    "C": _words(
        "России; Китая; Таджикистана; Казахстана; Киргизии; Узбекистана; Афганистана; Ирана; "
        "США; Туркменистана; Белоруссии; Армении; Россией; Китаем; Таджикистаном"
    ),
    "D": _words("таджикистанцев; граждан Узбекистана; уроженцев Киргизии; гражданина России"),
    "A": _words(
        "ФСБ; МВД; ФТС; ГУНК МВД; полиция Таджикистана; Агентство по контролю за наркотиками; "
        "таможня Казахстана; пограничная служба"
    ),
    "B": _words("ОДКБ; ШОС; УНП ООН; Интерпол; СНГ; ООН; ЦАРИКЦ; Европол"),
    "G": _words(
        "наркотики; героин; наркотрафик; незаконный оборот наркотиков; наркотиков; "
        "синтетических наркотиков; прекурсоров; гашиш; мефедрон; наркопреступности; контрабанда "
        "наркотиков; антинаркотической; кокаин; опиатов"
    ),
    "K": _words(
        "сотрудничество; совместная операция; обмен информацией; экстрадиция; взаимодействие; "
        "меморандум; соглашение; совместных; партнеры; коллеги; двустороннего; выдан; передан"
    ),
    "X": _words("трансграничной; международной; региональной; транснациональной"),
    "W": _words(
        "в; и; на; заявил; представители; встреча; году; области; границе; по; с; о; что; "
        "сотрудники; задержали; изъяли; килограммов; делу; министр; заместитель; рамках; "
        "работы; вопросы; стороны; прошла; сообщили; подозреваемых; операции; итогам; отметил"
    ),
}
_RU_CLAUSES = [
    "W A W K W C W G W",
    "W C и C W G W W",
    "W B W K W X W G W",
    "W G W из C W W A W",
    "D W G W W C W",
    "W W через C W G W B",
    "W полиция C W K W G",
    "W A W A W K W G W",
    "W граждан C W W G W",
]

FILLER = 40

_LANGS = {
    "en": (_EN, _EN_CLAUSES, " "),
    "zh": (_ZH, _ZH_CLAUSES, ""),
    "ru": (_RU, _RU_CLAUSES, " "),
}


def _clause(
    rng: random.Random, words: dict[str, list[str]], shape: str, joiner: str, filler: int
) -> str:
    out = [rng.choice(words[token]) if token in words else token for token in shape.split()]
    for _ in range(filler):  # ordinary words between the news words, anywhere in the clause
        out.insert(rng.randrange(len(out) + 1), rng.choice(words["W"]))
    return joiner.join(out)


def make_dense_items(
    count: int, *, seed: int = 11, size: int = 1500, filler: int = FILLER
) -> list[Item]:
    """Deterministic entity-dense items of `size` bytes (give or take a word), 60/20/20
    en/zh/ru: a headline clause with two ordinary words added, then clauses with `filler`
    more each, the last one cut where the size is reached."""
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        lang = rng.choices(["en", "zh", "ru"], weights=[6, 2, 2])[0]
        words, shapes, joiner = _LANGS[lang]
        end = "。" if lang == "zh" else ". "
        title = _clause(rng, words, rng.choice(shapes), joiner, 2)
        room = size - len(title.encode("utf-8")) - 1
        parts: list[str] = []
        used = 0
        while used < room:
            clause = _clause(rng, words, rng.choice(shapes), joiner, filler)
            if lang != "zh":
                clause = clause[0].upper() + clause[1:]
            parts.append(clause + end)
            used += len(parts[-1].encode("utf-8"))
        body = "".join(parts).encode("utf-8")[:room].decode("utf-8", "ignore")
        if lang != "zh":
            body = body.rsplit(" ", 1)[0]  # no word cut in half
        items.append(Item(title=title, summary=body.strip(), lang=lang))
    return items
