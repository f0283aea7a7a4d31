"""Screening API serializers: findings with their explanation (path, match, review decision), matches,
review decisions, runs, and pre-purchase checks (the `screen` command's JSON)."""
from __future__ import annotations

from rest_framework import serializers

from apps.api.serializers import ReadOnlyModelSerializer
from apps.screening.choices import CheckVerdict, Decision
from apps.screening.models import Finding, Match, PrePurchaseCheck, ReviewDecision, ScreeningRun


class ReviewDecisionSerializer(ReadOnlyModelSerializer):
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReviewDecision
        fields = ["id", "vendor", "match", "source", "organization", "external_id", "entry_name", "decision",
                  "reason", "decided_by", "decided_at", "vendor_snapshot", "superseded_at", "superseded_by"]


class MatchSerializer(ReadOnlyModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    list_version_sha256 = serializers.CharField(source="list_version.sha256", read_only=True, allow_null=True,
                                                default=None)
    decision = ReviewDecisionSerializer(read_only=True, allow_null=True)
    view_review_state = serializers.CharField(
        read_only=True, default="", help_text="The review state in force in the view asked for (`organization`): "
        "the organisation's own decision, else the registry-wide one (`review_state`).")
    decision_in_force = serializers.ChoiceField(
        choices=["own", "registry", ""], read_only=True, default="",
        help_text="Whose decision is in force in that view: `own` (the organisation's), `registry` (a curator's "
        "registry-wide decision) or empty (none: confirmed automatically or awaiting review).")
    view_decision = serializers.IntegerField(source="view_decision_id", read_only=True, allow_null=True,
                                             default=None, help_text="The id of the decision in force.")

    class Meta:
        model = Match
        fields = ["id", "vendor", "vendor_name", "source", "list_version", "list_version_sha256", "entry",
                  "external_id", "entry_name", "entry_type", "entry_content_hash", "sub_list", "programs",
                  "listed_on", "matched_name", "entry_matched_name", "score", "strength", "features",
                  "why", "reasons", "explanation", "algorithm_version", "thresholds", "review_state", "decision",
                  "view_review_state", "decision_in_force", "view_decision",
                  "first_seen_at", "last_seen_at", "closed_at", "close_reason"]


class FindingMatchSerializer(ReadOnlyModelSerializer):
    """The match behind a direct finding: why the vendor was taken for the list entry."""

    decision = ReviewDecisionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Match
        fields = ["id", "list_version", "matched_name", "entry_matched_name", "score", "strength", "features",
                  "why", "reasons", "explanation", "review_state", "decision"]


class FindingSerializer(ReadOnlyModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    via_vendor_name = serializers.CharField(source="via_vendor.name", read_only=True, allow_null=True, default=None)
    match = FindingMatchSerializer(read_only=True, allow_null=True)
    explanation = serializers.SerializerMethodField(help_text="The finding in one paragraph: path, rule, match.")
    other_status = serializers.CharField(read_only=True, help_text="Status for categories outside `categories` "
                                         "(empty: clear).")
    listed_on = serializers.DateField(read_only=True, allow_null=True,
                                      help_text="The date the entry was added to its list (where published).")
    entry_scope = serializers.CharField(read_only=True, help_text="The list entry's own scope (equipment or "
                                        "services) as published, e.g. an FCC Covered List entry; empty if none.")
    entry_scope_categories = serializers.ListField(
        child=serializers.CharField(), read_only=True, allow_null=True,
        help_text="Equipment categories the entry's scope names. null: the entry states no scope of its own; "
                  "[]: services only, no equipment category.")

    class Meta:
        model = Finding
        fields = ["id", "vendor", "vendor_name", "kind", "status", "status_reason", "source", "source_name",
                  "regime", "propagation", "sub_list", "external_id", "entry_name", "listed_on", "entry_scope",
                  "entry_scope_categories", "via_vendor",
                  "via_vendor_name", "path", "path_text", "aggregate_percent", "categories", "other_status",
                  "match", "explanation", "discovered_at", "last_seen_at", "closed_at", "close_reason"]

    def get_explanation(self, obj) -> str:
        parts = [obj.path_text]
        if obj.status_reason:
            parts.append(obj.status_reason)
        match = obj.match
        if match is not None:
            if match.explanation:
                parts.append(match.explanation)
            if match.decision is not None:
                parts.append(f"Review: {match.decision.decision} ({match.decision.reason})")
        return " ".join(p.rstrip(".") + "." for p in parts if p)


class ScreeningRunSerializer(ReadOnlyModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ScreeningRun
        fields = ["id", "trigger", "status", "started_at", "finished_at", "duration_ms", "list_versions",
                  "algorithm_version", "thresholds", "scope", "vendor_count", "entry_count", "counts", "timings",
                  "error", "requested_by"]


class ReviewResultSerializer(ReviewDecisionSerializer):
    """The decision on the match asked for; with `group`, also every decision written and the matches decided."""

    group_decisions = serializers.SerializerMethodField(
        help_text="With `group`: every decision written (one per copy's key, this one first); else absent.")
    group_matches = serializers.SerializerMethodField(help_text="With `group`: the matches decided.")

    class Meta(ReviewDecisionSerializer.Meta):
        fields = [*ReviewDecisionSerializer.Meta.fields, "group_decisions", "group_matches"]

    def get_group_decisions(self, obj) -> list[int] | None:
        return [r.pk for r in obj.group_decisions] if self.context.get("group") else None

    def get_group_matches(self, obj) -> list[int] | None:
        return list(obj.group_match_ids) if self.context.get("group") else None


class ReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(max_length=2000)
    organization = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1,
        help_text="The organisation (one where you are officer or admin) whose view the decision is for; default "
        "the view asked for (`?organization=`), else your only such organisation. A private list's match is "
        "always decided for the list's own organisation.")
    registry_wide = serializers.BooleanField(
        required=False, default=False,
        help_text="A curator's decision for every organisation that has not decided itself (public lists only).")
    group = serializers.BooleanField(
        required=False, default=False,
        help_text="Cover every open copy of the same listed party for this vendor (other list years, the CSL copy "
        "of an SDN entry, an entry sharing an identifier: `GET /matches/{id}/copies/`): one decision per copy, in "
        "one transaction.")
    matches = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_null=True, default=None,
        help_text="With `group`: only these copies (match ids, each an open copy of the party; else 400).")


class ScreenIdentifierSerializer(serializers.Serializer):
    scheme = serializers.CharField(max_length=16)
    value = serializers.CharField(max_length=64)


class ScreenInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    identifiers = ScreenIdentifierSerializer(many=True, required=False, default=list)
    organization = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="Organisation the check is kept for (one where you are officer or admin); default: your "
                  "only such organisation.",
    )
    save = serializers.BooleanField(default=True, help_text="Keep the answer as evidence (default true).")
    limit = serializers.IntegerField(
        required=False, default=25, min_value=1, max_value=500,
        help_text="Matches shown per page (exact and identifier matches first). The verdict always counts every "
                  "match; `matches_total` and `verdict_basis` list them all.")
    offset = serializers.IntegerField(required=False, default=0, min_value=0, help_text="First match shown.")


class ScreenMatchSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_name = serializers.CharField()
    entry_id = serializers.CharField()
    entry_name = serializers.CharField()
    matched_name = serializers.CharField()
    query_name = serializers.CharField()
    score = serializers.FloatField()
    strength = serializers.CharField()
    exact = serializers.BooleanField(help_text="Identifier match, or every word of both names matched.")
    status = serializers.CharField()
    policy = serializers.CharField()
    sub_list = serializers.CharField()
    listed_on = serializers.DateField(allow_null=True)
    list_version_id = serializers.IntegerField()
    entry_content_hash = serializers.CharField()
    features = serializers.DictField(child=serializers.FloatField())
    why = serializers.CharField(help_text="Why this entry matched, in one plain sentence (from `reasons`).")
    reasons = serializers.ListField(
        child=serializers.DictField(), help_text='Structured reasons, each a `code` and its parameters, e.g. '
        '{"code": "typo", "query_word": "Hikvison", "entry_word": "Hikvision", "kind": "missing"} '
        "(docs/matching.md lists the codes).")
    explanation = serializers.CharField(help_text="Technical detail: name score, coverage, thresholds, algorithm.")
    via_vendor = serializers.DictField(
        allow_null=True, help_text="Set when the entry matched a name of a recorded vendor the query resolved to "
                                   "(vendor_id, vendor_name), e.g. Hikvision -> Hangzhou Hikvision Digital ...")


class ScreenResultSerializer(serializers.Serializer):
    """Same JSON as `manage.py screen NAME --json`."""

    query = serializers.DictField()
    verdict = serializers.ChoiceField(choices=CheckVerdict.choices)
    verdict_reason = serializers.CharField(help_text='Why, e.g. "not cleared: 4 of 10 lists loaded; ...".')
    cleared = serializers.BooleanField()
    matches = ScreenMatchSerializer(many=True, help_text="One page of the matches, exact ones first.")
    matches_total = serializers.IntegerField()
    page = serializers.DictField(help_text="offset, limit, total.")
    match_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Matches per status.")
    verdict_basis = serializers.ListField(
        child=serializers.DictField(), help_text="Every match the verdict counts: source, entry_id, status, "
                                                 "strength, score.")
    truncated = serializers.DictField(
        allow_null=True, help_text="Null, or {cap, dropped} when candidate names were not scored (then never clear).")
    registry = serializers.ListField(
        child=serializers.DictField(), help_text="Recorded vendors the name resolves to, with findings in your view, "
                                                 "ownership paths and OEM makers; they count in the verdict.")
    coverage = serializers.DictField(
        help_text="searched (source, version_id, sha256, activated_at, stale, required), missing (enabled sources "
                  "without an active version), required_missing, required_stale, complete, summary.")
    versions = serializers.ListField(child=serializers.DictField())
    algorithm_version = serializers.CharField()
    thresholds = serializers.DictField(child=serializers.FloatField())
    parties = serializers.ListField(
        child=serializers.DictField(),
        help_text="The matches grouped by listed party, ranked: party_id, name, status (strictest), exact, score, "
                  "strength, listed_on ([{source, label, status, entry_ids}]), listed_on_text (\"DoD 1260H (2025, "
                  "2026), OFAC SDN, CSL\"), copies, entries, via_vendor, related (folded under an exact party).")
    parties_total = serializers.IntegerField()
    parties_related = serializers.IntegerField(help_text="Parties folded as related entries of an exact one.")
    checked_at = serializers.CharField()
    check_id = serializers.IntegerField(required=False)


class PrePurchaseCheckSerializer(ReadOnlyModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PrePurchaseCheck
        fields = ["id", "created_at", "requested_by", "organization", "query_name", "query", "verdict",
                  "list_versions", "algorithm_version", "result", "result_sha256"]
