"""Risk score of one unit, explained term by term. Pure: the selector gathers the inputs.

The score is a sum of points (0-100), one term per factor, each with the reason it got its points, so an
officer can see why a camera in an office scores lower than a crane with vendor remote access at a
critical port. The weights are deliberately simple and documented in docs/remediation.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

VENDOR_STATUS_POINTS = {"prohibited": 35, "restricted": 25, "potential_match": 10, "clear": 0}
CRITICALITY_POINTS = {"low": 0, "medium": 5, "high": 10, "critical": 15}
DEFENCE_POINTS = 5
CONNECTIVITY_POINTS = {"isolated": 0, "site_network": 4, "internet": 8, "vendor_remote": 15}
DATA_COLLECTION_POINTS = 10
COUNTRY_MAKER_POINTS = 15  # manufacturer, brand, software supplier or place of manufacture
COUNTRY_OWNER_POINTS = 10  # only an ultimate owner
QUANTITY_MAX_POINTS = 5
MAX_SCORE = 100


@dataclass(frozen=True)
class RiskInputs:
    vendor_status: str = "clear"
    vendor_status_reason: str = ""
    countries_of_concern: tuple[tuple[str, str, str], ...] = ()  # (test, subject, country)
    site_criticality: str = "medium"
    site_is_defence: bool = False
    connectivity: str = "site_network"
    remote_access_capable: bool = False
    collects_data: bool = False
    quantity: int = 1


@dataclass(frozen=True)
class RiskTerm:
    name: str
    points: int
    reason: str


@dataclass(frozen=True)
class RiskScore:
    total: int
    terms: tuple[RiskTerm, ...] = field(default_factory=tuple)

    @property
    def level(self) -> str:
        if self.total >= 60:
            return "high"
        if self.total >= 30:
            return "medium"
        return "low"

    def as_dict(self) -> dict:
        return {"total": self.total, "level": self.level,
                "terms": [{"name": t.name, "points": t.points, "reason": t.reason} for t in self.terms]}


def risk_score(inp: RiskInputs) -> RiskScore:
    terms: list[RiskTerm] = []
    pts = VENDOR_STATUS_POINTS.get(inp.vendor_status, 0)
    terms.append(RiskTerm("vendor_status", pts, f"vendor status {inp.vendor_status}"
                          + (f": {inp.vendor_status_reason}" if inp.vendor_status_reason else "")))

    makers = [c for c in inp.countries_of_concern if c[0] != "ultimate_owner"]
    owners = [c for c in inp.countries_of_concern if c[0] == "ultimate_owner"]
    if makers:
        pts, who = COUNTRY_MAKER_POINTS, makers
    elif owners:
        pts, who = COUNTRY_OWNER_POINTS, owners
    else:
        pts, who = 0, []
    reason = ("; ".join(f"{t.replace('_', ' ')} {s} ({c})" for t, s, c in who) if who
              else "no manufacturer, owner or place of manufacture in a country of concern")
    terms.append(RiskTerm("country_of_concern", pts, reason))

    pts = CRITICALITY_POINTS.get(inp.site_criticality, 0) + (DEFENCE_POINTS if inp.site_is_defence else 0)
    terms.append(RiskTerm("site", pts, f"site criticality {inp.site_criticality}"
                          + (", defence use" if inp.site_is_defence else "")))

    pts = CONNECTIVITY_POINTS.get(inp.connectivity, 0)
    reason = f"connectivity {inp.connectivity.replace('_', ' ')}"
    if inp.connectivity != "vendor_remote" and inp.remote_access_capable and inp.connectivity != "isolated":
        pts += 3
        reason += " (product supports vendor remote access)"
    terms.append(RiskTerm("connectivity", pts, reason))

    pts = DATA_COLLECTION_POINTS if inp.collects_data else 0
    terms.append(RiskTerm("data_collection", pts, "records video, sensor or cargo data" if inp.collects_data
                          else "collects no data"))

    qty = max(1, int(inp.quantity or 1))
    pts = min(QUANTITY_MAX_POINTS, int(round(math.log10(qty) * 2.5)))
    terms.append(RiskTerm("quantity", pts, f"{qty} unit{'s' if qty != 1 else ''}"))

    total = min(MAX_SCORE, sum(t.points for t in terms))
    return RiskScore(total, tuple(terms))
