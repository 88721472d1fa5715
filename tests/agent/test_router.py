"""Routing of each department named in the triage issue, through the real pipeline."""

import pytest

from agent.pipeline import TriagePipeline
from core.types import ReportIn

pytestmark = pytest.mark.integration

# (expected lead department, a report written for this test, not taken from the knowledge base)
CASES = [
    ("city-management", "嵩山路跟淮河路口那一片，每天晚上一堆小摊贩把人行道全占了，卖烤红薯卖水果的，走都走不过去"),
    ("city-management", "农业路上那个商场门口新装了一块特别大的广告牌，没审批吧，挡着二楼窗户了"),
    ("city-management", "北三环辅道边上那个公共厕所好几天没人打扫了，臭得不行，门也坏了"),
    ("city-management", "黄河路上好几盏路灯晚上都不亮，黑咕隆咚的，骑车的人看不清路"),
    ("traffic-police", "建设路一个小区门口天天有私家车停在人行道和路口，把视线都挡住了，交警能不能来贴条"),
    ("public-security", "楼下广场每天晚上十点多了还有人跳广场舞，音响开得震天响，孩子没法睡觉"),
    ("market-regulation", "我在健身房办了五千块钱的年卡，现在老板跑路了门也关了，钱退不回来"),
    ("market-regulation", "在一家饭店吃饭吃出了虫子，吃完肚子疼，怀疑食品不卫生，后厨也很脏"),
    ("ecology-environment", "附近有个化工厂晚上偷偷往外排黑烟，一股刺鼻的化学味，窗户都不敢开"),
    ("housing", "我们小区物业收了物业费什么都不干，楼道灯坏了半年没人修，垃圾也不清"),
    ("urban-rural-construction", "旁边工地晚上十二点还在打桩施工，吵得整栋楼没法睡，有没有夜间施工许可"),
    ("water-resources", "金水河里漂着一大片垃圾和死鱼，塑料瓶泡沫都有，没人打捞"),
    ("landscape-gardening", "小区外面绿化带里的树长得太高了，枝条伸到马路上挡住红绿灯，需要修剪"),
    ("health", "在医院看病医生态度特别差，还乱开检查单，多收了好几百块钱的检查费"),
    ("medical-insurance", "我在外地住院回来报销医保，窗口一直说材料不全，异地就医备案怎么办"),
    ("education", "孩子今年上小学，我们家明明在学区里，学校说没有学位不让报名"),
    ("human-resources", "我在工地干了半年活，老板一直拖欠工资不给，一共三万多块钱，讨薪没人管"),
    ("transport", "昨天在火车站打了一辆出租车，司机不打表还绕路，多要了五十块钱"),
    ("civil-affairs", "我家老人没有收入又生病了，想申请低保，不知道去哪里办，社区说不归他们"),
    ("emergency-management", "我们附近一个小作坊私自储存了很多汽油和液化气罐，安全隐患很大"),
    ("fire-rescue", "我们楼有人把电动车推进楼道里充电，电线从窗户拉下来，消防通道也被堵了"),
    ("natural-resources", "村里有人在耕地上违法占地盖厂房，已经盖到三层了，土地都毁了"),
    ("culture-tourism", "跟旅行社报的团，导游强制购物，不买就甩脸色，还把我们扔在景区不管"),
    ("agriculture", "在农资店买的种子是假的，种下去一棵都没出苗，损失好几亩地"),
    ("commerce", "路边那个加油站卖的汽油感觉不对劲，加完车就抖，想问它有没有成品油零售经营资格"),
    ("communications", "我们小区手机信号特别差，在家里打电话都打不出去，移动联通都一样"),
    ("power-supply", "我们这一片突然停电了，已经两个小时了，也没有通知，冰箱里东西都要坏了"),
    ("water-supply", "我们小区从早上开始就停水了，没有任何通知，做饭洗漱都没法弄"),
    ("gas-supply", "家里的燃气突然停气了，也没接到通知，燃气表显示还有余额"),
    ("heating", "已经供暖一周了，我家暖气一点都不热，室温才十四度，热力公司也不来看"),
    ("street-office", "楼上邻居天天往我家阳台扔烟头，跟他说也不听，两家为这事吵了好几次了"),
]


@pytest.mark.parametrize(("department", "text"), CASES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(CASES)])
def test_lead_department(pipeline: TriagePipeline, department: str, text: str) -> None:
    result = pipeline.triage(ReportIn(text=text))
    leads = [d.id for d in result.routing.departments if d.role == "lead"]
    assert department in leads, (
        f"expected {department}, got {leads} for category {result.understanding.classification.category.id}"
    )
    lead = next(d for d in result.routing.departments if d.id == department)
    assert lead.clauses, "the lead department must come with the duty clauses that justify it"
    assert all(c.id.startswith(department) for c in lead.clauses)


def test_every_required_department_is_covered() -> None:
    required = {
        "city-management", "traffic-police", "public-security", "market-regulation", "ecology-environment",
        "housing", "urban-rural-construction", "water-resources", "landscape-gardening", "health",
        "medical-insurance", "education", "human-resources", "transport", "civil-affairs",
        "emergency-management", "fire-rescue", "natural-resources", "culture-tourism", "agriculture",
        "commerce", "communications", "power-supply", "water-supply", "gas-supply", "heating",
        "street-office",
    }
    assert required <= {d for d, _ in CASES}


def test_street_office_is_named_after_the_place(pipeline: TriagePipeline) -> None:
    result = pipeline.triage(ReportIn(text="德化街步行街上有流动摊贩占道经营，堵得很"))
    office = [d for d in result.routing.departments if d.id == "street-office"]
    assert office, "占道经营 needs the 属地 street office"
    assert office[0].jurisdiction is not None
    assert office[0].name.endswith("办事处")
    assert office[0].jurisdiction.name in office[0].name
