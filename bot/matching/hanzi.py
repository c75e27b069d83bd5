"""Traditional-script variants of simplified Chinese terms, so one term matches both scripts."""

from __future__ import annotations

from itertools import product

# Simplified -> traditional, as two-character pairs (identical pairs are harmless). Covers the
# vocabulary of drug control, law enforcement, diplomacy and place names; a character missing
# here simply stays as it is.
_PAIRS = (
    "国國际際联聯缉緝贩販药藥鸦鴉罂罌剂劑摇搖头頭学學体體执執协協议議谅諒备備录錄会會"
    "双雙边邊区區逻邏络絡员員报報击擊卖賣运運输輸务務资資钱錢链鏈条條约約组組织織办辦处處"
    "长長级級战戰计計划劃动動开開实實设設构構缅緬挝撾罗羅亚亞湾灣门門韩韓丽麗乌烏兰蘭马馬"
    "来來宾賓萨薩尔爾别別库庫欧歐东東经經济濟独獨这這个個与與为為对對从從关關于於发發现現"
    "获獲缴繳扫掃销銷烧燒线線侦偵归歸递遞领領导導层層检檢验驗测測试試调調证證据據继繼续續"
    "强強进進维維护護稳穩种種类類们們队隊监監厅廳县縣乡鄉镇鎮团團伙夥枭梟买買让讓认認"
    "识識说說话話语語讯訊视視频頻网網电電诈詐骗騙税稅总總间間签簽声聲纪紀决決问問题題应應贸貿"
    "钢鋼铁鐵轮輪陆陸军軍华華辽遼云雲广廣贵貴纳納腊臘连連沧滄临臨掸撣钦欽银銀杀殺专專项項"
    "业業营營帮幫转轉换換态態势勢严嚴厉厲惩懲预預传傳训訓练練术術热熱点點难難灾災扩擴张張"
    "赃贓劝勸红紅违違规規毁燬汇匯苏蘇亲親邻鄰两兩岁歲满滿泽澤术術时時刚剛鲁魯该該树樹"
    "尔爾罗羅挪挪维維兹茲罗羅戈戈乔喬坦坦黎黎渐漸宁寧萨薩达達瓦瓦鲜鮮韦韋库庫赞贊门門"
    "图圖厄厄斯斯罗羅毛毛哥哥伦倫冈岡贝貝泽澤莱萊伯伯埔埔寨寨挝撾缅緬亚亞仑侖喀喀隆隆"
    "纳納萨薩拉拉圣聖基基茨茨维維罗羅腾騰巴巴勒勒坦坦厦廈门門澳澳湾灣俄俄联聯邦邦"
    "盟盟织織络絡刑刑伦倫凯凱旋旋书書记記译譯讲講论論设設访訪谈談举舉办辦参參观觀宁寧"
    "统統帅帥节節范範围圍环環境境产產卫衛生生医醫疗療戒戒康康复復吸吸毒毒涉涉麻麻醉醉"
    "馆館际際页頁题題顾顧问問审審判判诉訴讼訟狱獄缓緩刑刑罚罰没沒收收财財产產冻凍结結"
)


# Characters whose traditional form depends on the word: both spellings are generated.
_ALTERNATIVES = {"制": "制製", "复": "復複", "台": "台臺", "里": "里裡"}


def _table() -> dict[str, str]:
    pairs = {_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS) - 1, 2)}
    table = {s: t for s, t in pairs.items() if s != t}
    table.update(_ALTERNATIVES)
    return table


_TRADITIONAL = _table()


def traditional_variants(term: str, *, limit: int = 8) -> list[str]:
    """The traditional-script spellings of a simplified term (not the term itself)."""
    options = [_TRADITIONAL.get(ch, ch) for ch in term]
    if all(option == ch for option, ch in zip(options, term, strict=True)):
        return []
    variants: list[str] = []
    for combo in product(*options):
        candidate = "".join(combo)
        if candidate != term and candidate not in variants:
            variants.append(candidate)
        if len(variants) >= limit:
            break
    return variants
