"""The questions of each data call template (data, not code paths). A question is a dict:

* `code`: unique within the call (the answer's key);
* `kind`: a choices.QuestionKind; `choices` for CHOICE;
* `text`, `help`: what the recipient reads; `required`;
* `covered`: True on a covered-equipment question: "yes" opens a declared finding on the call's units;
* `covered_status`: the risk status that finding gives those units (covered_status_for);
* `fact`: the registry fact an answer declares ("maker", "listed_owner"): it becomes a change proposal
  (apps.vendors.proposals), never a direct write.

Wording follows FAR 52.204-24 (representation), 52.204-26 (annual representation in SAM) and s.889 of the
NDAA FY2019 (Part A: providing covered equipment; Part B: using it), the DoD s.1260H list and the FCC Covered
List (47 CFR 1.50002).
"""
from __future__ import annotations

from apps.common.choices import RiskStatus

from .choices import DataCallTemplate, QuestionKind

FAR_889 = [
    {"code": "part_a_provides", "kind": QuestionKind.YES_NO, "required": True, "covered": True,
     "covered_status": RiskStatus.PROHIBITED,
     "text": "FAR 52.204-24(d)(1) / s.889(a)(1)(A): Will you provide, or do you provide to us, covered "
             "telecommunications equipment or services (Huawei, ZTE, Hytera, Hikvision, Dahua, their subsidiaries "
             "and affiliates) as a substantial or essential component of any system?",
     "help": "Answer yes if any unit or service you supplied to us contains such equipment."},
    {"code": "part_b_uses", "kind": QuestionKind.YES_NO, "required": True, "covered": False,
     "text": "FAR 52.204-24(d)(2) / s.889(a)(1)(B): After a reasonable inquiry, do you use covered "
             "telecommunications equipment or services, or any equipment, system or service that uses them?"},
    {"code": "disclosure", "kind": QuestionKind.TEXT, "required": False,
     "text": "If you answered yes to either: the disclosure of FAR 52.204-24(e) (the entity that produced it, the "
             "item, its model or item number, and the proposed use)."},
    {"code": "sam_annual", "kind": QuestionKind.YES_NO, "required": False,
     "text": "FAR 52.204-26: Is your annual representation in SAM.gov current and consistent with these answers?"},
]

COVERED_LIST = [
    {"code": "listed_entity", "kind": QuestionKind.YES_NO, "required": True, "covered": True,
     "covered_status": RiskStatus.RESTRICTED,
     "text": "Does any unit or component you supplied to us come from, or is it owned or controlled by, an entity "
             "on the DoD s.1260H list (Chinese military companies) or the FCC Covered List?"},
    {"code": "listed_owner", "kind": QuestionKind.TEXT, "required": False, "fact": "listed_owner",
     "text": "If yes: the name of that entity (as on the list).",
     "help": "A name the registry knows becomes a proposed ownership/control link for review."},
    {"code": "affected_items", "kind": QuestionKind.TEXT, "required": False,
     "text": "If yes: which units or components (model numbers, serial numbers)?"},
]

COMPONENT_DECLARATION = [
    {"code": "maker", "kind": QuestionKind.TEXT, "required": True, "fact": "maker",
     "text": "Who manufactures the product (the maker, if not the brand on the box)?"},
    {"code": "country_of_origin", "kind": QuestionKind.TEXT, "required": True,
     "text": "Country of origin (where it is made or substantially transformed)."},
    {"code": "software_supplier", "kind": QuestionKind.TEXT, "required": True,
     "text": "Who supplies its software or firmware?"},
    {"code": "remote_access", "kind": QuestionKind.YES_NO, "required": True,
     "text": "Can the product be reached remotely (maintenance, monitoring, updates)?"},
    {"code": "remote_access_by", "kind": QuestionKind.TEXT, "required": False,
     "text": "If yes: by whom (company, country), and how is the access controlled?"},
    {"code": "firmware_update_path", "kind": QuestionKind.CHOICE, "required": True,
     "choices": ["Vendor pushes updates online", "Operator installs signed packages", "On-site service only",
                 "No updates"],
     "text": "How does firmware reach the product?"},
    {"code": "bill_of_materials", "kind": QuestionKind.FILE, "required": False,
     "text": "Optional: a bill of materials or declaration document."},
]

QUESTION_SETS: dict[str, list[dict]] = {
    DataCallTemplate.FAR_889: FAR_889,
    DataCallTemplate.COVERED_LIST: COVERED_LIST,
    DataCallTemplate.COMPONENT_DECLARATION: COMPONENT_DECLARATION,
    DataCallTemplate.CUSTOM: [],
}

# Facts of a component declaration that a product model records: question code -> ProductModel field. An officer
# compares them on the call's page ("declared vs recorded") and applies a differing one through
# apps.inventory.services.product_model_update (outreach.selectors.data_call_declared_facts,
# outreach.services.data_call_fact_apply). The firmware update path has no field in the registry: it is shown,
# never applied.
PRODUCT_MODEL_FACTS: dict[str, str] = {"country_of_origin": "country_of_manufacture",
                                       "software_supplier": "software_supplier",
                                       "remote_access": "remote_access_capable"}
PRODUCT_MODEL_FACTS_SHOWN = ("country_of_origin", "software_supplier", "remote_access", "firmware_update_path")

# Representations are re-requested this many days before their validity ends (setting
# OUTREACH_RENEW_DAYS_BEFORE overrides).
DEFAULT_VALIDITY_DAYS = {DataCallTemplate.FAR_889: 365, DataCallTemplate.COVERED_LIST: 365,
                         DataCallTemplate.COMPONENT_DECLARATION: 730, DataCallTemplate.CUSTOM: 365}

# A custom covered-equipment question (the officer's own wording) restricts the units: only the statutory Part A
# representation prohibits them outright.
CUSTOM_COVERED_STATUS = RiskStatus.RESTRICTED


def covered_status_for(template: str, code: str) -> str:
    """The risk status a "yes" on covered question `code` of a `template` call gives the call's units. Fails
    (KeyError) on a template question not marked covered with a status: never a silent default."""
    if template == DataCallTemplate.CUSTOM:
        return CUSTOM_COVERED_STATUS
    (question,) = [q for q in QUESTION_SETS[template] if q["code"] == code]
    return question["covered_status"]
