"""The dossier: one rare-earth shipment or one magnet / product batch, with the evidence both China's
export-licence review and the EU's due-diligence, magnet-labelling and passport rules ask for.

Every field is optional at the model level (so a half-filled dossier still loads and the rule packs can say
*what* is missing); types, formats and ranges are enforced here, so a value of the wrong kind is an input
error naming the field, not a finding. Field descriptions are bilingual ("English / 中文"); they drive the
fill-in template and the JSON Schema (``critmin comply schema``).

Units: masses in kilograms (``*_kg``), shares in percent (``*_pct``), dates ISO 8601.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = "1"

ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Element = Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Pct = Annotated[float, Field(ge=0, le=100)]
Mass = Annotated[float, Field(ge=0, le=1e12)]

# Custody stages of a batch's value chain: the one vocabulary of compliance (the ledger imports it). Not the
# catalog's trade stages of HS6 codes (critmin.catalog.models.Stage).
CustodyStage = Literal["mine", "separation", "metal", "alloy", "magnet", "product", "recycling"]
Form = Literal["ore_concentrate", "oxide", "compound", "metal", "alloy", "magnet", "product", "scrap", "other"]
MagnetType = Literal["NdFeB", "SmCo", "AlNiCo", "ferrite", "other"]
# What the operator does with the goods: the EU acts bind an operator by role (placing on the market,
# manufacturing, importing), the Chinese licence binds the exporter.
OperatorRole = Literal[
    "exporter", "importer", "manufacturer", "distributor", "placing_on_market", "recycler",
    "extractive_waste_operator", "other",
]
# Product categories the EU acts name: CRMA Art. 28(1) (products with permanent magnets) and the battery
# categories of Regulation (EU) 2023/1542; "none" states that the shipment is none of them.
ProductCategory = Literal[
    "mri_device", "wind_generator", "industrial_robot", "motor_vehicle", "light_means_of_transport",
    "cooling_generator", "heat_pump", "electric_motor", "washing_machine", "tumble_dryer", "microwave_oven",
    "vacuum_cleaner", "dishwasher", "ev_battery", "lmt_battery", "industrial_battery", "sli_battery",
    "portable_battery", "none",
]
# Strategic technologies of CRMA Art. 24(1), whose large manufacturers assess supply risks.
StrategicTechnology = Literal[
    "batteries", "hydrogen", "renewable_energy", "aircraft", "traction_motors", "heat_pumps",
    "data_transmission_storage", "mobile_electronics", "additive_manufacturing", "robotics", "drones",
    "rocket_launchers", "satellites", "advanced_chips", "none",
]


def _d(en: str, zh: str) -> str:
    return f"{en} / {zh}"


def _unique(*keys: str) -> AfterValidator:
    """Refuse two records with the same key: the rules would read one of them and silently ignore the other."""

    def check(rows: list) -> list:
        first: dict[tuple, int] = {}
        for i, row in enumerate(rows):
            key = tuple(getattr(row, k) for k in keys)
            if key in first:
                shown = ", ".join(f"{k}={v!r}" for k, v in zip(keys, key, strict=True))
                raise ValueError(f"one record per {'/'.join(keys)}: {shown} appears twice (entries {first[key]} and {i})")
            first[key] = i
        return rows

    return AfterValidator(check)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class Party(_Model):
    name: Text | None = Field(None, description=_d("Legal name", "法定名称"))
    country: ISO3 | None = Field(None, description=_d("Country (ISO3)", "国家（ISO3 代码）"))
    address: Text | None = Field(None, description=_d("Registered address", "注册地址"))
    identifier: Id | None = Field(
        None, description=_d("Registry identifier (USCC for Chinese firms, EORI in the EU)", "登记代码（中国企业为统一社会信用代码，欧盟为 EORI）")
    )
    contact: Text | None = Field(None, description=_d("Responsible contact", "联系人"))


class Parties(_Model):
    exporter: Party | None = Field(None, description=_d("Exporter", "出口经营者"))
    importer: Party | None = Field(None, description=_d("Importer", "进口商"))
    end_user: Party | None = Field(None, description=_d("End user", "最终用户"))


class Item(_Model):
    line_no: int = Field(..., ge=1, le=100000, description=_d("Line number", "行号"))
    hs_code: Id | None = Field(None, description=_d("HS or CN tariff code (6, 8 or 10 digits)", "商品编码（6、8 或 10 位）"))
    controlled_item_id: Id | None = Field(
        None, description=_d("Control-list item number (PRC dual-use list)", "管制物项编号（两用物项管制清单）")
    )
    elements: list[Element] = Field(default_factory=list, description=_d("Elements contained (symbols)", "所含元素（元素符号）"))
    form: Form | None = Field(None, description=_d("Form of the item", "物项形态"))
    description: Text | None = Field(None, description=_d("Technical description / specification", "技术说明 / 规格"))
    quantity_kg: Mass | None = Field(None, description=_d("Quantity (kg)", "数量（千克）"))
    batch_ids: list[Id] = Field(default_factory=list, description=_d("Batches shipped under this line", "本行对应批次"))


class EndUse(_Model):
    statement: Text | None = Field(None, description=_d("End-use statement", "最终用途说明"))
    sector: Text | None = Field(None, description=_d("Downstream sector", "下游行业"))
    signed_by: Text | None = Field(None, description=_d("Signed by (end user)", "签署人（最终用户）"))
    signed_on: date | None = Field(None, description=_d("Date signed", "签署日期"))
    no_military_use: bool | None = Field(None, description=_d("Undertaking: no military end use", "承诺不用于军事用途"))
    no_reexport_without_consent: bool | None = Field(
        None, description=_d("Undertaking: no re-export or change of end use without consent", "承诺未经许可不转出口、不改变用途")
    )


class LicenceItem(_Model):
    """One item line as the licence states it: what was licensed, and how much."""

    control_list_no: Id | None = Field(None, description=_d("Control-list item number licensed", "许可的管制物项编号"))
    hs_code: Id | None = Field(None, description=_d("Tariff code licensed", "许可的商品编码"))
    elements: list[Element] = Field(default_factory=list, description=_d("Elements licensed", "许可物项所含元素"))
    description: Text | None = Field(None, description=_d("Item as described in the licence", "许可证所载物项名称"))
    quantity_kg: Mass | None = Field(None, description=_d("Quantity licensed (kg)", "许可数量（千克）"))
    used_kg: Mass | None = Field(
        None, description=_d("Quantity already exported under this licence item before this shipment (kg)", "本次出运前该许可物项已出口数量（千克）")
    )


class Licence(_Model):
    licence_no: Id | None = Field(None, description=_d("Export licence number", "出口许可证号"))
    kind: Literal["single", "general"] | None = Field(None, description=_d("Licence kind", "许可类型（单项 / 通用）"))
    issued_on: date | None = Field(None, description=_d("Issued on", "签发日期"))
    valid_from: date | None = Field(None, description=_d("Valid from (default: issue date)", "有效期起（缺省为签发日期）"))
    valid_until: date | None = Field(None, description=_d("Valid until", "有效期至"))
    authority: Text | None = Field(None, description=_d("Issuing authority", "签发机关"))
    consignee: Party | None = Field(None, description=_d("Consignee named in the licence", "许可证所载收货人"))
    end_user: Party | None = Field(None, description=_d("End user named in the licence", "许可证所载最终用户"))
    destination: ISO3 | None = Field(None, description=_d("Destination country named in the licence", "许可证所载目的国"))
    items: list[LicenceItem] = Field(default_factory=list, description=_d("Items and quantities licensed", "许可物项及数量"))


class Operator(_Model):
    """The company whose obligations the EU packs check: role, size, where it is established."""

    name: Text | None = Field(None, description=_d("Legal name", "法定名称"))
    country: ISO3 | None = Field(None, description=_d("Country of establishment (ISO3)", "设立国（ISO3）"))
    roles: list[OperatorRole] | None = Field(None, description=_d("What the operator does with the goods", "经营者对货物的角色"))
    employees: int | None = Field(None, ge=0, le=10_000_000, description=_d("Average employees (last financial year)", "上一财年平均雇员人数"))
    net_turnover_eur: float | None = Field(None, ge=0, le=1e13, description=_d("Net worldwide turnover (EUR)", "全球净营业额（欧元）"))
    eu_net_turnover_eur: float | None = Field(None, ge=0, le=1e13, description=_d("Net turnover in the EU (EUR)", "在欧盟的净营业额（欧元）"))
    large_company: bool | None = Field(None, description=_d("Large undertaking (Directive 2013/34/EU, Art. 3(4))", "大型企业（指令 2013/34/EU 第3条第4款）"))
    strategic_technologies: list[StrategicTechnology] | None = Field(
        None, description=_d("Strategic technologies it manufactures (CRMA Art. 24(1); ['none'] if none)", "所制造的战略技术产品（CRMA 第24条第1款；均无时填 ['none']）")
    )
    risk_assessment_on: date | None = Field(
        None, description=_d("Latest supply-chain risk assessment of strategic raw materials (CRMA Art. 24(2))", "最近一次战略原材料供应链风险评估日期")
    )
    waste_assessment_submitted_on: date | None = Field(
        None, description=_d("Preliminary economic assessment of CRM recovery from extractive waste submitted on (CRMA Art. 27)", "采矿废弃物关键原材料回收初步经济评估提交日期（CRMA 第27条）")
    )


class MaterialListEntry(_Model):
    item_line: int = Field(..., ge=1, le=100000, description=_d("Item line this entry describes", "对应物项行号"))
    component: Text | None = Field(None, description=_d("Component / constituent", "组分"))
    element: Element | None = Field(None, description=_d("Element", "元素"))
    mass_pct: Pct | None = Field(None, description=_d("Mass share (%)", "质量占比（%）"))


class Batch(_Model):
    batch_id: Id = Field(..., description=_d("Batch identifier", "批次编号"))
    stage: CustodyStage | None = Field(None, description=_d("Value-chain stage", "产业链环节"))
    origin_country: ISO3 | None = Field(None, description=_d("Country where this stage took place", "该环节所在国家"))
    facility: Text | None = Field(None, description=_d("Facility", "工厂 / 设施"))
    mass_kg: Mass | None = Field(None, description=_d("Mass (kg)", "质量（千克）"))
    parent_batch_ids: list[Id] = Field(default_factory=list, description=_d("Input batches", "上游批次"))


class Traceability(_Model):
    cn_trace_system_id: Id | None = Field(
        None, description=_d("Record number in China's rare-earth product traceability system", "稀土产品追溯信息系统登记编号")
    )
    batches: Annotated[list[Batch], _unique("batch_id")] = Field(default_factory=list, description=_d("Batches, mine to product", "批次（从矿山到产品）"))


class Risk(_Model):
    risk_id: Id = Field(..., description=_d("Risk identifier", "风险编号"))
    category: Literal["human_rights", "labour", "environment", "governance", "conflict", "other"] | None = Field(
        None, description=_d("Category of adverse impact", "不利影响类别")
    )
    description: Text | None = Field(None, description=_d("What was found", "风险说明"))
    tier: int | None = Field(None, ge=0, le=20, description=_d("Supply-chain tier (0 = own operations)", "供应链层级（0 为自身）"))
    identified_on: date | None = Field(None, description=_d("Date identified", "识别日期"))


class Measure(_Model):
    measure_id: Id = Field(..., description=_d("Measure identifier", "措施编号"))
    risk_ids: list[Id] = Field(default_factory=list, description=_d("Risks addressed", "针对的风险"))
    kind: Literal["prevent", "mitigate", "cease", "remediate"] | None = Field(None, description=_d("Kind of measure", "措施类型"))
    description: Text | None = Field(None, description=_d("What is done", "措施说明"))
    started_on: date | None = Field(None, description=_d("Started on", "开始日期"))


class Monitoring(_Model):
    on: date | None = Field(None, description=_d("Date of assessment", "评估日期"))
    method: Text | None = Field(None, description=_d("Method (audit, survey, site visit…)", "方法（审核、问卷、现场走访等）"))
    measure_ids: list[Id] = Field(default_factory=list, description=_d("Measures assessed", "评估的措施"))
    result: Text | None = Field(None, description=_d("Result", "结论"))


class DueDiligence(_Model):
    policy_adopted_on: date | None = Field(None, description=_d("Due-diligence policy adopted on", "尽职调查政策通过日期"))
    risks: Annotated[list[Risk], _unique("risk_id")] = Field(default_factory=list, description=_d("Identified adverse impacts", "已识别的不利影响"))
    measures: Annotated[list[Measure], _unique("measure_id")] = Field(default_factory=list, description=_d("Prevention / mitigation measures", "预防与整改措施"))
    monitoring: list[Monitoring] = Field(default_factory=list, description=_d("Monitoring of effectiveness", "有效性监测"))
    complaints_channel: Text | None = Field(None, description=_d("Complaints / notification channel", "投诉与通报渠道"))
    records_kept_until: date | None = Field(None, description=_d("Evidence kept until", "证据保存至"))
    records_location: Text | None = Field(None, description=_d("Where the evidence is kept", "证据保存位置"))


class RecycledShare(_Model):
    element: Element = Field(..., description=_d("Element", "元素"))
    recycled_share_pct: Pct | None = Field(None, description=_d("Recycled share (%)", "再生含量（%）"))
    post_consumer: bool | None = Field(None, description=_d("From post-consumer waste", "是否来自消费后废弃物"))


class RecycledContent(_Model):
    total_recycled_share_pct: Pct | None = Field(None, description=_d("Recycled share of the batch by mass (%)", "批次再生含量（按质量，%）"))
    by_element: Annotated[list[RecycledShare], _unique("element")] = Field(default_factory=list, description=_d("Recycled share by element", "分元素再生含量"))
    method: Text | None = Field(None, description=_d("Calculation method", "计算方法"))
    published_at: Text | None = Field(None, description=_d("Public web address of the disclosure", "公开披露网址"))


class FootprintStage(_Model):
    stage: Literal["extraction", "processing", "refining", "recycling", "manufacturing"] = Field(..., description=_d("Stage", "环节"))
    country: ISO3 | None = Field(None, description=_d("Country or region of the stage", "所在国家或地区"))
    value: float | None = Field(None, ge=0, le=1e9, description=_d("Footprint of the stage", "该环节足迹"))


class Footprint(_Model):
    unit: Literal["kgCO2e_per_kg"] | None = Field(None, description=_d("Unit", "单位"))
    total: float | None = Field(None, ge=0, le=1e9, description=_d("Total footprint", "足迹合计"))
    methodology: Text | None = Field(None, description=_d("Methodology", "核算方法"))
    stages: Annotated[list[FootprintStage], _unique("stage", "country")] = Field(default_factory=list, description=_d("By stage and origin", "分环节、分来源"))


class CompositionEntry(_Model):
    element: Element = Field(..., description=_d("Element", "元素"))
    mass_pct: Pct | None = Field(None, description=_d("Mass share (%)", "质量占比（%）"))


class DataCarrier(_Model):
    kind: Literal["qr", "datamatrix", "rfid", "nfc"] | None = Field(None, description=_d("Carrier kind", "载体类型"))
    uri: Id | None = Field(None, description=_d("Address the carrier resolves to", "载体指向的网址"))
    unique_id: Id | None = Field(None, description=_d("Unique identifier", "唯一标识"))


class MagnetLabel(_Model):
    contains_permanent_magnet: bool | None = Field(None, description=_d("Product contains a permanent magnet", "产品含永磁体"))
    product_category: Text | None = Field(None, description=_d("Product category", "产品类别"))
    magnet_types: list[MagnetType] = Field(default_factory=list, description=_d("Magnet types", "永磁体类型"))
    magnet_mass_kg: Mass | None = Field(None, description=_d("Total mass of permanent magnets (kg)", "永磁体总质量（千克）"))
    composition: Annotated[list[CompositionEntry], _unique("element")] = Field(default_factory=list, description=_d("Chemical composition", "化学成分"))
    location_in_product: Text | None = Field(None, description=_d("Where the magnets sit in the product", "永磁体在产品中的位置"))
    removal_info: Text | None = Field(None, description=_d("How to remove the magnets", "拆解方法"))
    data_carrier: DataCarrier | None = Field(None, description=_d("Data carrier", "数据载体"))


class Passport(_Model):
    unique_product_id: Id | None = Field(None, description=_d("Unique product identifier", "产品唯一标识"))
    data_carrier: DataCarrier | None = Field(None, description=_d("Passport data carrier", "护照数据载体"))
    economic_operator_id: Id | None = Field(None, description=_d("Economic operator identifier", "经营者标识"))
    facility_ids: list[Id] = Field(default_factory=list, description=_d("Facility identifiers", "工厂标识"))
    issued_on: date | None = Field(None, description=_d("Issued on", "签发日期"))


class CustodyEvent(_Model):
    seq: int = Field(..., ge=1, le=2**63 - 1)
    event_id: Id
    kind: Id
    party: Id
    ts: Id
    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    signed: bool = False
    summary: Text | None = None


class ChainOfCustody(_Model):
    """The evidence section exported from the ledger (``critmin ledger export``)."""

    ledger_head_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description=_d("Ledger head hash at export", "导出时账本头哈希")
    )
    batch_id: Id | None = Field(None, description=_d("Batch this section documents", "所证明的批次"))
    verified: bool | None = Field(None, description=_d("Ledger verified at export", "导出时账本已校验"))
    exported_at: Id | None = Field(None, description=_d("Exported at (UTC)", "导出时间（UTC）"))
    stages: list[CustodyStage] = Field(default_factory=list, description=_d("Stages on the batch's lineage", "批次所经环节"))
    origin_countries: list[ISO3] = Field(default_factory=list, description=_d("Countries on the lineage", "所经国家"))
    recycled_share_pct: Pct | None = Field(None, description=_d("Recycled share computed through the chain (%)", "按链条计算的再生含量（%）"))
    recycled_by_element: Annotated[list[RecycledShare], _unique("element")] = Field(
        default_factory=list, description=_d("Recycled share by element computed through the chain", "按链条计算的分元素再生含量")
    )
    events: Annotated[list[CustodyEvent], _unique("seq"), _unique("event_id")] = Field(default_factory=list, description=_d("Ledger events", "账本事件"))


class Dossier(_Model):
    schema_version: Literal["1"] = Field(SCHEMA_VERSION, description=_d("Schema version", "模式版本"))
    dossier_id: Id = Field(..., description=_d("Dossier identifier", "档案编号"))
    kind: Literal["shipment", "product_batch"] = Field("shipment", description=_d("Shipment or product batch", "货物或产品批次"))
    prepared_on: date | None = Field(None, description=_d("Prepared on (checks are as of this date)", "编制日期（以此日期为准核查）"))
    shipment_date: date | None = Field(None, description=_d("Planned / actual shipment date", "计划或实际出运日期"))
    parties: Parties | None = Field(None, description=_d("Parties", "当事方"))
    items: Annotated[list[Item], _unique("line_no")] = Field(default_factory=list, description=_d("Items shipped", "出口物项"))
    end_use: EndUse | None = Field(None, description=_d("End use", "最终用途"))
    licence: Licence | None = Field(None, description=_d("Export licence", "出口许可"))
    material_list: Annotated[list[MaterialListEntry], _unique("item_line", "component", "element")] = Field(default_factory=list, description=_d("Material list", "材料清单"))
    traceability: Traceability | None = Field(None, description=_d("Traceability", "追溯信息"))
    chain_of_custody: ChainOfCustody | None = Field(None, description=_d("Chain of custody from the ledger", "账本导出的监管链"))
    due_diligence: DueDiligence | None = Field(None, description=_d("Due diligence", "尽职调查"))
    recycled_content: RecycledContent | None = Field(None, description=_d("Recycled content", "再生含量"))
    footprint: Footprint | None = Field(None, description=_d("Environmental footprint", "环境足迹"))
    magnet_label: MagnetLabel | None = Field(None, description=_d("Permanent-magnet label", "永磁体标签"))
    passport: Passport | None = Field(None, description=_d("Digital product passport", "数字产品护照"))
    operator: Operator | None = Field(None, description=_d("Operator whose EU obligations are checked", "核查其欧盟义务的经营者"))
    products: list[ProductCategory] | None = Field(
        None, description=_d("Product categories the goods belong to (['none'] if none)", "货物所属产品类别（均不属于时填 ['none']）")
    )
    destination_country: ISO3 | None = Field(
        None, description=_d("Country the goods are shipped to (default: end user's, else importer's)", "货物目的国（缺省为最终用户所在国，其次为进口商所在国）")
    )


def json_schema() -> dict:
    """The dossier's JSON Schema (draft 2020-12, as pydantic emits it)."""
    schema = Dossier.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://critmin.example/schemas/dossier-v{SCHEMA_VERSION}.json"
    return schema
