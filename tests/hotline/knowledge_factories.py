"""Knowledge-base helpers for tests: a small category tree and Chinese articles made through
the service, as the demo and the operators make them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xiaoneng.hotline.models import Article, TicketCategory
from xiaoneng.hotline.services.knowledge import article_create


@dataclass
class Library:
    """Five articles of a city's knowledge base and their categories."""

    government: TicketCategory  # 政务服务
    business: TicketCategory  # 政务服务 › 市场主体
    social: TicketCategory  # 社会保障
    city: TicketCategory  # 城市管理
    licence: Article
    social_card: Article
    fund: Article
    noise: Article
    property_register: Article


def make_library(actor: Any) -> Library:
    """The categories and five articles about distinct matters, written by ``actor``."""
    government = TicketCategory.objects.create(code="gov", name="政务服务")
    business = TicketCategory.objects.create(code="gov-biz", name="市场主体", parent=government)
    social = TicketCategory.objects.create(code="social", name="社会保障")
    city = TicketCategory.objects.create(code="city", name="城市管理")
    licence = article_create(
        actor=actor,
        title="营业执照怎么办理",
        body=(
            "新办企业或个体工商户可登录河北政务服务网，选择“企业开办一网通办”，在线填报设立登记"
            "信息并上传身份证明；材料齐全的，市场监督管理局在一个工作日内核发营业执照，"
            "也可到市民服务中心市场监管窗口现场办理。"
        ),
        keywords="工商登记 注册公司 开公司 个体户",
        category=business,
    )
    social_card = article_create(
        actor=actor,
        title="社保卡丢失如何补办",
        body="社保卡遗失后先拨打12333挂失，再携带身份证到任一社保卡服务网点补办，"
        "当场领取新卡；也可在手机上申领电子社保卡。",
        keywords="社会保障卡 挂失 补卡",
        category=social,
    )
    fund = article_create(
        actor=actor,
        title="住房公积金提取",
        body="购房、租房、退休等情形可提取住房公积金。租房提取每年一次，"
        "登录公积金网上服务大厅或到管理中心窗口办理，需提供身份证和银行卡。",
        keywords="公积金 提取 租房",
        category=social,
    )
    noise = article_create(
        actor=actor,
        title="夜间施工噪音投诉渠道",
        body="22时至次日6时施工须取得夜间施工许可。遇到夜间施工噪音扰民，"
        "可拨打12345反映，由城市管理综合行政执法部门核查处理。",
        keywords="噪声 扰民 工地",
        category=city,
    )
    property_register = article_create(
        actor=actor,
        title="不动产登记信息查询",
        body="权利人可携带身份证到不动产登记中心查询本人名下的不动产登记信息，"
        "也可通过政务服务网在线查询。",
        keywords="房产证 房屋 产权",
        category=government,
    )
    return Library(
        government=government,
        business=business,
        social=social,
        city=city,
        licence=licence,
        social_card=social_card,
        fund=fund,
        noise=noise,
        property_register=property_register,
    )
