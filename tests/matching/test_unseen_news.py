"""Regression fixtures: headlines of the kinds the labelled set holds, which the topic handles.

These are NOT unseen data. The topic rules were tuned with these headlines in view (some rules
quote them), so every one passes by construction: the file guards against a later change
breaking a case that once worked, and says nothing about how the matcher does on news it has
never seen. That is measured on an untouched split of the labelled set (`shared/eval`), which
no rule may be fitted to.
"""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from tests.matching.conftest import score

COOPERATION = [
    (
        "Colombia and Ecuador launch joint naval operation against cocaine smuggling",
        "The navies will share radar data and intelligence on drug-trafficking boats in the "
        "Pacific.",
    ),
    (
        "Pakistan's ANF and Iran's police hold talks on curbing cross-border drug trafficking",
        "The two sides agreed to set up a border liaison office to exchange information on "
        "narcotics smuggling from Afghanistan.",
    ),
    (
        "China extradites Myanmar drug lord to Thailand",
        "The suspect, wanted for methamphetamine trafficking, was handed over at the Mohan "
        "border crossing under a bilateral agreement.",
    ),
    (
        "CND session in Vienna adopts resolution on synthetic drug precursors",
        "Member states of the Commission on Narcotic Drugs agreed to tighten international "
        "control of fentanyl precursors.",
    ),
    (
        "中国与老挝、缅甸、泰国开展湄公河联合巡逻执法",
        "四国执法部门将在联合巡逻中加强情报交流，共同打击跨境毒品犯罪。",
    ),
    (
        "上合组织成员国禁毒部门领导人会议在北京举行",
        "各方同意加强禁毒合作，共同打击毒品贩运和易制毒化学品走私。",
    ),
    (
        "Россия и Казахстан провели совместную операцию против наркотрафика",
        "Сотрудники МВД двух стран задержали курьеров, перевозивших героин из Афганистана.",
    ),
    (
        "Страны ОДКБ начали антинаркотическую операцию «Канал»",
        "В операции участвуют правоохранительные органы государств-членов ОДКБ.",
    ),
    (
        "Interpol-led Operation Lionfish seizes cocaine worth $1bn across 15 countries",
        "Police and customs in Latin America and West Africa took part in the operation "
        "coordinated by Interpol.",
    ),
    (
        "US and Mexico agree to step up joint efforts against fentanyl trafficking",
        "The two governments will share intelligence and target precursor chemical shipments.",
    ),
    (
        "Наркополицейские России и Таджикистана провели совместную операцию",
        "В ходе операции пресечен канал контрабанды героина из Афганистана.",
    ),
    ("中缅警方联合破获特大跨国贩毒案", "双方开展执法合作，缴获冰毒2吨。"),
    (
        "Australian and Chinese police seize 1.2 tonnes of ice in joint operation",
        "The AFP said Taskforce Blaze had worked with China's Ministry of Public Security.",
    ),
    (
        "ASEAN ministers adopt new work plan on securing communities against illicit drugs",
        "The ASEAN Ministerial Meeting on Drug Matters agreed to strengthen regional cooperation.",
    ),
]

NOT_COOPERATION = [
    (
        "US Senate passes bill to lower prescription drug prices",
        "The legislation lets Medicare negotiate with drugmakers.",
    ),
    (
        "Mexico arrests cartel leader in Sinaloa raid",
        "Mexican marines detained the suspect after a firefight; he faces charges of drug "
        "trafficking and murder.",
    ),
    (
        "China and Russia hold joint naval drills in the Sea of Japan",
        "The exercise aims to deepen military cooperation between the two countries.",
    ),
    (
        "Interpol operation rescues 200 human trafficking victims in West Africa",
        "Police in 8 countries took part in the operation coordinated by Interpol against human "
        "trafficking and migrant smuggling.",
    ),
    ("云南警方破获特大贩毒案 缴获冰毒500公斤", "经过三个月侦查，警方抓获犯罪嫌疑人12名。"),
    ("中俄签署能源合作协议", "两国将在天然气领域深化合作。"),
    ("国家药监局批准新药上市", "该药物用于治疗肺癌，由中外企业合作研发。"),
    (
        "В Москве задержали наркодилера с крупной партией мефедрона",
        "Полиция изъяла 2 кг наркотиков в ходе обыска.",
    ),
    (
        "Россия и Китай подписали соглашение о сотрудничестве в сфере энергетики",
        "Стороны договорились о поставках газа.",
    ),
    (
        "Минздрав и Индия договорились о поставках лекарств",
        "Соглашение касается дженериков и вакцин.",
    ),
    (
        "Police in Manila arrest five in shabu raid",
        "Officers seized 200 grams of methamphetamine in a buy-bust operation in Quezon City.",
    ),
    (
        "EU and China sign agreement on electric vehicle tariffs",
        "Trade ministers said the cooperation would benefit both economies.",
    ),
    (
        "Pfizer and Merck collaborate on new cancer drug trial across Europe",
        "The joint trial will enrol patients in Germany, France and Italy.",
    ),
    (
        "Kazakhstan and Uzbekistan sign agreement on counter-terrorism cooperation",
        "The security services will share intelligence on extremist groups.",
    ),
    (
        "Thailand police seize 10 million meth pills in Chiang Rai",
        "The drugs were found in a truck near the border, police said.",
    ),
    (
        "India and Russia agree to boost pharmaceutical trade",
        "Drug makers from both countries will cooperate on generic medicines.",
    ),
]


@pytest.mark.parametrize(("title", "body"), COOPERATION)
def test_cross_border_drug_control_cooperation_matches(
    matcher: Matcher, title: str, body: str
) -> None:
    """Joint operations, agreements and regional bodies against drugs still match (fitted)."""
    assert score(matcher, title, body).matched


@pytest.mark.parametrize(("title", "body"), NOT_COOPERATION)
def test_domestic_busts_other_cooperation_and_medicines_do_not(
    matcher: Matcher, title: str, body: str
) -> None:
    """Domestic busts, other cooperation and medicines still do not match (fitted)."""
    assert not score(matcher, title, body).matched
