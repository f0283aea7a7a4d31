"""Data calls: send one, answer it through the public link, remind and re-request (issue #20 part 1).

* `data_call_create`: an officer (or admin) of the organisation asks a supplier or a site manager; the questions
  are copied from the template; the answer link goes out by e-mail (Django's mail backend) inside the writing
  transaction, so a call whose mail failed does not exist (fail closed).
* `data_call_open` / `data_call_answer`: the recipient, with no account, through `/respond/<token>/`. The link
  is signed (django.core.signing) and carries a random secret stored only as its SHA-256; it works once, until
  it expires, and not after a reminder replaced it. Every answer is validated (errors per question), files get
  the evidence uploads' checks (apps.remediation.uploads: size, type by content), and the signed answer is
  stored append-only with its SHA-256 on the audit chain. Declared facts become change proposals
  (apps.vendors.proposals, the review an officer's edit gets); a "yes" on a covered-equipment question opens a
  DeclaredFinding on the units the call names.
* `outreach_daily`: the beat job: overdue reminders (once per call, with a new link) and re-requests of
  representations before their validity ends.
* Webhooks: `data_call.answered` and `data_call.overdue` (apps.common.events.RegistryActivity).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.utils import timezone

from apps.accounts.policies import Action, authorize, require
from apps.audit.services import audit_record
from apps.audit.writes import row_lock, write_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment, ProductModel, Site
from apps.inventory.services import product_model_update
from apps.remediation import conf as remediation_conf
from apps.remediation.uploads import read_limited, sniff
from apps.screening.services import unit_declarations_close, unit_declarations_open
from apps.security.ratelimit import rate_limit_hit, rate_parse
from apps.vendors.choices import OemConfidence, OwnershipKind, ProposalKind
from apps.vendors.models import OemRelation, Ownership, Vendor
from apps.vendors.proposals import proposal_submit
from apps.vendors.selectors import vendor_ids_by_name

from . import conf
from .choices import DataCallState, DataCallTemplate, DeclaredFindingStatus, QuestionKind, RecipientKind
from .models import DataCall, DataCallAnswer, DataCallQuestion, DataCallResponse, DataCallToken, DeclaredFinding
from .question_sets import DEFAULT_VALIDITY_DAYS, PRODUCT_MODEL_FACTS, QUESTION_SETS, covered_status_for
from .selectors import data_call_declared_facts

logger = logging.getLogger("vendorrisk.outreach")

TOKEN_SALT = "apps.outreach.data-call-link"
YES_VALUES = {"yes", "true", "1", "on"}
NO_VALUES = {"no", "false", "0", "off"}
TEXT_MAX = 5000
MAX_CUSTOM_QUESTIONS = 50


# --- sending ---------------------------------------------------------------------------------------------

def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _token_issue(call: DataCall, *, now: dt.datetime, expires_at: dt.datetime | None = None) -> str:
    """A new answer link for `call`: the signed (call id, random secret); only the secret's hash is stored. It
    works until OUTREACH_LINK_GRACE_DAYS after the due date, unless `expires_at` says otherwise."""
    raw = secrets.token_urlsafe(32)
    if expires_at is None:
        expires_at = dt.datetime.combine(call.due_date + dt.timedelta(days=conf.link_grace_days()), dt.time.max,
                                         tzinfo=timezone.get_current_timezone())
    DataCallToken.objects.create(data_call=call, token_hash=_token_hash(raw), created_at=now, expires_at=expires_at)
    token = signing.dumps({"c": call.pk, "t": raw}, salt=TOKEN_SALT)
    return f"{settings.PUBLIC_BASE_URL}/respond/{token}/"


def _questions_checked(template: str, questions: list[dict] | None) -> list[dict]:
    """The template's questions, or for CUSTOM the officer's own (each: kind, text, optional choices/required)."""
    if template != DataCallTemplate.CUSTOM:
        if questions:
            raise ApplicationError("Only a custom data call takes its own questions.",
                                   fields={"questions": ["Leave empty for this template."]})
        return [dict(q) for q in QUESTION_SETS[template]]
    if not questions:
        raise ApplicationError("A custom data call needs at least one question.",
                               fields={"questions": ["Add at least one question."]})
    if len(questions) > MAX_CUSTOM_QUESTIONS:
        raise ApplicationError(f"At most {MAX_CUSTOM_QUESTIONS} questions.", fields={"questions": ["Too many."]})
    out, errors = [], []
    for n, q in enumerate(questions, start=1):
        kind, text = str(q.get("kind", "")), str(q.get("text", "")).strip()
        choices = [str(c).strip() for c in (q.get("choices") or []) if str(c).strip()]
        if kind not in QuestionKind.values:
            errors.append(f"Question {n}: unknown kind {kind!r}.")
        elif not text:
            errors.append(f"Question {n}: the text is empty.")
        elif kind == QuestionKind.CHOICE and len(choices) < 2:
            errors.append(f"Question {n}: a choice needs at least two options.")
        elif q.get("covered") and kind != QuestionKind.YES_NO:
            errors.append(f"Question {n}: only a yes/no question can be a covered-equipment question.")
        else:
            out.append({"code": f"q{n}", "kind": kind, "text": text[:2000], "required": bool(q.get("required", True)),
                        "choices": choices if kind == QuestionKind.CHOICE else [],
                        "covered": bool(q.get("covered", False))})
    if errors:
        raise ApplicationError(" ".join(errors), fields={"questions": errors})
    return out


def _mail(call: DataCall, link: str, *, reminder: bool = False) -> None:
    """The call's e-mail to its recipient (raises when the mail backend fails: the caller's write rolls back)."""
    org = call.organization.name
    lead = (f"A reminder: {org} is still waiting for your answer, due {call.due_date:%Y-%m-%d}. The earlier link "
            "no longer works; use this one." if reminder else
            f"{org} asks you to answer a short questionnaire by {call.due_date:%Y-%m-%d}.")
    body = (f"Dear {call.recipient_name or 'supplier'},\n\n{lead}\n\n{call.title}\n"
            + (f"\n{call.message}\n" if call.message else "")
            + f"\nAnswer here (no account needed; the link works once):\n{link}\n\n"
              "You sign your answer with your name, title and date. It is kept as evidence.\n")
    send_mail(subject=f"[{org}] {'Reminder: ' if reminder else ''}{call.title}", message=body,
              from_email=None, recipient_list=[call.recipient_email], fail_silently=False)


@write_transaction()
def data_call_create(*, user, organization_id: int, template: str, recipient_kind: str, recipient_email: str,
                     due_date: dt.date, vendor: Vendor | int | None = None, site: Site | int | None = None,
                     product_model: ProductModel | int | None = None, equipment_ids: list[int] | tuple = (),
                     recipient_name: str = "", title: str = "", message: str = "", validity_days: int | None = None,
                     questions: list[dict] | None = None, renewal_of: DataCall | None = None,
                     created_by=None, notify: bool = True, now: dt.datetime | None = None) -> DataCall:
    """Create and send a data call (officers and admins of the organisation; `user` None: the registry, for
    re-requests). Returns the call with `answer_link` set (transient: the link exists only in the mail).
    `notify` False: no mail (the demo's fictional recipients); the caller hands the link over itself."""
    authorize(user, Action.WRITE, organization_id=organization_id)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if template not in DataCallTemplate.values:
        raise ApplicationError(f"Unknown template {template!r}.", fields={"template": ["Unknown template."]})
    if recipient_kind not in RecipientKind.values:
        raise ApplicationError("Unknown recipient kind.", fields={"recipient_kind": ["Unknown kind."]})
    try:
        validate_email(recipient_email or "")
    except ValidationError:
        raise ApplicationError("Give the recipient's e-mail address.",
                               fields={"recipient_email": ["Enter a valid e-mail address."]}) from None
    if due_date < today:
        raise ApplicationError("The due date is in the past.", fields={"due_date": ["Choose today or later."]})
    vendor_obj = _load(Vendor, vendor, "vendor")
    site_obj = _load(Site, site, "site")
    if site_obj is not None and site_obj.organization_id != organization_id:
        raise ApplicationError("No such site in this organisation.", code="not_found")
    if recipient_kind == RecipientKind.VENDOR and vendor_obj is None:
        raise ApplicationError("Choose the supplier asked.", fields={"vendor": ["Required for a supplier."]})
    if recipient_kind == RecipientKind.SITE_MANAGER and site_obj is None:
        raise ApplicationError("Choose the site whose manager is asked.", fields={"site": ["Required."]})
    pm = _load(ProductModel, product_model, "product_model")
    if template == DataCallTemplate.COMPONENT_DECLARATION and pm is None:
        raise ApplicationError("A component declaration is about one product model.",
                               fields={"product_model": ["Choose the product model."]})
    ids = sorted({int(i) for i in equipment_ids})
    units = list(Equipment.objects.filter(pk__in=ids, site__organization_id=organization_id))
    if len(units) != len(ids):
        raise ApplicationError("No such unit in this organisation.", code="not_found")
    rows = _questions_checked(template, questions)
    validity = validity_days if validity_days is not None else DEFAULT_VALIDITY_DAYS[template]
    if not 1 <= int(validity) <= 3 * 366:
        raise ApplicationError("The validity is 1 to 1098 days.", fields={"validity_days": ["1 to 1098 days."]})
    call = DataCall.objects.create(
        organization_id=organization_id, template=template,
        title=(title or DataCallTemplate(template).label)[:200], message=message[:5000], recipient_kind=recipient_kind,
        vendor=vendor_obj, site=site_obj, product_model=pm, recipient_name=recipient_name[:200],
        recipient_email=recipient_email, due_date=due_date, validity_days=int(validity), sent_at=now,
        renewal_of=renewal_of, created_by=user if user is not None else created_by)
    if units:
        call.equipment.set(units)
    DataCallQuestion.objects.bulk_create([
        DataCallQuestion(data_call=call, position=n, code=q["code"], kind=q["kind"], text=q["text"],
                         help=q.get("help", ""), choices=q.get("choices", []), required=q.get("required", True),
                         covered=q.get("covered", False), fact=q.get("fact", ""))
        for n, q in enumerate(rows, start=1)])
    link = _token_issue(call, now=now)
    audit_record(action="outreach.datacall.create", actor=user, obj=call, organization_id=organization_id,
                 changes={"template": template, "recipient_kind": recipient_kind, "recipient_email": recipient_email,
                          "vendor": call.vendor_id, "site": call.site_id, "product_model": call.product_model_id,
                          "equipment": ids, "due_date": due_date, "validity_days": call.validity_days,
                          "questions": [q["code"] for q in rows], "renewal_of": renewal_of.pk if renewal_of else None})
    if notify:
        _mail(call, link)
    call.answer_link = link
    return call


def _load(model, value, field: str):
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    found = model.objects.filter(pk=value).first()
    if found is None:
        raise ApplicationError(f"No such {field.replace('_', ' ')}.", code="not_found", fields={field: ["Not found."]})
    return found


@write_transaction()
def data_call_cancel(*, data_call: DataCall | int, user, now: dt.datetime | None = None) -> DataCall:
    """Withdraw a call not answered yet; its links stop working."""
    call = row_lock(DataCall, data_call.pk if isinstance(data_call, DataCall) else data_call)
    require(user, Action.WRITE, call)
    if call.state != DataCallState.SENT:
        raise ApplicationError("Only a call waiting for its answer can be cancelled.", code="conflict")
    now = now or timezone.now()
    call.state, call.cancelled_at = DataCallState.CANCELLED, now
    call.save(update_fields=["state", "cancelled_at", "updated_at"])
    DataCallToken.objects.filter(data_call=call, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    audit_record(action="outreach.datacall.cancel", actor=user, obj=call, organization_id=call.organization_id)
    return call


# --- the public link ---------------------------------------------------------------------------------------

class LinkRefused(ApplicationError):
    """The answer link cannot be used: `status` 403 (not a valid link) or 410 (expired, used, replaced)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message, code="gone" if status == 410 else "forbidden")
        self.status = status


def respond_rate_check(client_ip: str) -> None:
    """The public answer page is rate-limited per client address (OUTREACH_RESPOND_RATE); raises code
    "throttled" (the page answers 429)."""
    limit, window = rate_parse(conf.respond_rate())
    if not rate_limit_hit(f"datacall-respond:{client_ip}", limit=limit, window=window).allowed:
        raise ApplicationError("Too many requests from your address; wait a few minutes.", code="throttled")


def _token_row(token: str, *, lock: bool = False) -> DataCallToken:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        call_id, raw = int(data["c"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("This link is not valid. Check that you copied all of it from the e-mail.",
                          status=403) from None
    rows = DataCallToken.objects.select_related("data_call", "data_call__organization")
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(token_hash=_token_hash(raw), data_call_id=call_id).first()
    if row is None:
        raise LinkRefused("This link is not valid.", status=403)
    return row


def _token_usable(row: DataCallToken, now: dt.datetime) -> None:
    if row.used_at is not None:
        raise LinkRefused(f"This link was already used on {row.used_at:%Y-%m-%d}: the answer is recorded. A link "
                          "works once.", status=410)
    if row.revoked_at is not None:
        raise LinkRefused("This link was replaced by a newer one (see the latest e-mail), or the request was "
                          "withdrawn.", status=410)
    if row.expires_at <= now:
        raise LinkRefused(f"This link expired on {row.expires_at:%Y-%m-%d}. Ask the sender for a new one.", status=410)
    if row.data_call.state != DataCallState.SENT:
        raise LinkRefused("This request is no longer open.", status=410)


def data_call_open(*, token: str, now: dt.datetime | None = None) -> DataCall:
    """The call behind a link, or LinkRefused. Reading does not use the link up; answering does."""
    row = _token_row(token)
    _token_usable(row, now or timezone.now())
    return row.data_call


@dataclass(frozen=True)
class _Checked:
    question: DataCallQuestion
    value: Any = None
    data: bytes | None = None
    file_name: str = ""
    kind: Any = None


def _answer_check(q: DataCallQuestion, raw: Any, upload) -> tuple[_Checked | None, str | None]:
    """One answer parsed: (checked, None) or (None, error). An unanswered optional question: (None, None)."""
    if q.kind == QuestionKind.FILE:
        if upload is None:
            return (None, "Attach a file.") if q.required else (None, None)
        try:
            data = read_limited(upload, remediation_conf.evidence_max_bytes())
            name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:255]
            kind = sniff(data, name)
        except ApplicationError as exc:
            return None, exc.message
        return _Checked(q, data=data, file_name=name, kind=kind), None
    text = "" if raw is None else str(raw).strip()
    if not text:
        return (None, "Answer this question.") if q.required else (None, None)
    if q.kind == QuestionKind.YES_NO:
        if text.lower() in YES_VALUES:
            return _Checked(q, True), None
        if text.lower() in NO_VALUES:
            return _Checked(q, False), None
        return None, "Answer yes or no."
    if q.kind == QuestionKind.CHOICE:
        return (_Checked(q, text), None) if text in q.choices else (None, "Choose one of the options.")
    if q.kind == QuestionKind.DATE:
        try:
            return _Checked(q, dt.date.fromisoformat(text).isoformat()), None
        except ValueError:
            return None, "Give a date as YYYY-MM-DD."
    if len(text) > TEXT_MAX:
        return None, f"At most {TEXT_MAX} characters."
    return _Checked(q, text), None


def _signature_check(signer_name: str, signer_title: str, signed_on: Any, today: dt.date,
                     earliest: dt.date) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    name, title = (signer_name or "").strip(), (signer_title or "").strip()
    if not name:
        errors["signer_name"] = ["Sign with your name."]
    if not title:
        errors["signer_title"] = ["Give your title (role)."]
    day = None
    try:
        day = signed_on if isinstance(signed_on, dt.date) else dt.date.fromisoformat(str(signed_on or "").strip())
    except ValueError:
        errors["signed_on"] = ["Give the date as YYYY-MM-DD."]
    if day is not None and day > today:
        errors["signed_on"] = ["The date is in the future."]
    elif day is not None and day < earliest:  # a backdated signature would stretch the validity
        errors["signed_on"] = [f"The date is before the request was sent ({earliest:%Y-%m-%d})."]
    return {"signer_name": name[:200], "signer_title": title[:200], "signed_on": day}, errors


def _digest(call: DataCall, signature: dict, checked: list[_Checked]) -> str:
    """SHA-256 of the canonical JSON of the signed answer (files by their own SHA-256)."""
    doc = {"data_call": call.pk, "organization": call.organization_id, **signature,
           "answers": {c.question.code: ({"file_sha256": hashlib.sha256(c.data).hexdigest(), "name": c.file_name}
                                         if c.data is not None else c.value) for c in checked}}
    text = json.dumps(doc, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def data_call_answer(*, token: str, answers: dict[str, Any], files: dict[str, Any] | None = None,
                     signer_name: str, signer_title: str, signed_on: Any, ip: str | None = None,
                     now: dt.datetime | None = None) -> DataCallResponse:
    """Record the recipient's signed answer (no account: the link is the credential, used up here). Every
    answer is checked first; errors come back per question code (and signer_name/signer_title/signed_on) in one
    ApplicationError, and nothing is stored. Files stored and then rolled back are deleted again."""
    stored: list[DataCallAnswer] = []
    try:
        return _answer(token=token, answers=answers, files=files or {}, signer_name=signer_name,
                       signer_title=signer_title, signed_on=signed_on, ip=ip, now=now or timezone.now(), stored=stored)
    except BaseException:
        for row in stored:
            if row.file:
                row.file.storage.delete(row.file.name)
        raise


@write_transaction()
def _answer(*, token: str, answers: dict, files: dict, signer_name: str, signer_title: str, signed_on: Any,
            ip: str | None, now: dt.datetime, stored: list) -> DataCallResponse:
    # Lock order as everywhere in this module (apps.audit.writes): the call, then its links.
    call = row_lock(DataCall, _token_row(token).data_call_id)
    row = _token_row(token, lock=True)
    _token_usable(row, now)
    if call.state != DataCallState.SENT:
        raise LinkRefused("This request is no longer open.", status=410)
    questions = list(call.questions.all())
    signature, errors = _signature_check(signer_name, signer_title, signed_on, timezone.localdate(now),
                                         timezone.localdate(call.sent_at))
    checked: list[_Checked] = []
    for q in questions:
        result, error = _answer_check(q, answers.get(q.code), files.get(q.code))
        if error:
            errors[q.code] = [error]
        elif result is not None:
            checked.append(result)
    unknown = set(answers) - {q.code for q in questions}
    if unknown:
        errors["non_field_errors"] = [f"Unknown questions: {', '.join(sorted(unknown))}."]
    if errors:
        raise ApplicationError("Some answers need attention; nothing was recorded yet.", fields=errors)
    digest = _digest(call, signature, checked)
    by_code = {c.question.code: c for c in checked}
    proposal_ids = _facts_propose(call, by_code, signature)
    response = DataCallResponse.objects.create(
        data_call=call, organization_id=call.organization_id, token=row, submitted_at=now, ip=ip or None,
        sha256=digest, proposal_ids=proposal_ids, **signature)
    files_audit = {}
    for c in checked:
        answer = DataCallAnswer(response=response, data_call=call, question=c.question,
                                value=None if c.data is not None else c.value)
        if c.data is not None:
            answer.file_name, answer.file_content_type = c.file_name, c.kind.content_type
            answer.file_extension, answer.file_size = c.kind.extension, len(c.data)
            answer.file_sha256 = hashlib.sha256(c.data).hexdigest()
            answer.file.save(f"answer.{c.kind.extension}", ContentFile(c.data), save=False)
            stored.append(answer)
            files_audit[c.question.code] = answer.file_sha256
        answer.save()
        if c.question.covered and c.value is True:
            _finding_open(call, answer, signature, now)
    DataCallToken.objects.filter(pk=row.pk).update(used_at=now)
    call.state, call.answered_at = DataCallState.ANSWERED, now
    call.valid_until = signature["signed_on"] + dt.timedelta(days=call.validity_days)
    call.save(update_fields=["state", "answered_at", "valid_until", "updated_at"])
    audit_record(action="outreach.datacall.answer", obj=response, organization_id=call.organization_id,
                 object_repr=f"Answer to data call {call.pk}",
                 changes={"data_call": call.pk, "sha256": digest, "files_sha256": files_audit,
                          "signer_name": signature["signer_name"], "signer_title": signature["signer_title"],
                          "signed_on": signature["signed_on"], "valid_until": call.valid_until,
                          "proposals": proposal_ids, "ip": ip or ""})
    events.publish(events.RegistryActivity(type="data_call.answered", organization_id=call.organization_id,
                                           object_kind="data_call", object_id=call.pk, site_id=call.site_id,
                                           status="answered"))
    return response


def _vendor_named(name: str) -> Vendor | None:
    vid = vendor_ids_by_name({name.strip()}).get(name.strip().lower()) if name and name.strip() else None
    return Vendor.objects.filter(pk=vid).first() if vid else None


def _facts_propose(call: DataCall, by_code: dict[str, _Checked], signature: dict) -> list[int]:
    """Declared facts as change proposals of the call's organisation, proposed in the name of the officer who
    sent the call (the same review an officer's own edit gets; nothing shared is written). A name the registry
    does not know proposes nothing: the answer keeps it for the officer to read.

    * `maker` (component declaration): a maker other than the product model's brand and recorded manufacturer,
      with no OEM relation yet: an OEM relation brand -> maker;
    * `listed_owner` (covered-list call to a supplier, answered yes): an ownership/control link owner -> supplier."""
    source = (f"Data call {call.pk} ({call.get_template_display()}), signed by {signature['signer_name']}, "
              f"{signature['signer_title']}, on {signature['signed_on']:%Y-%m-%d}")[:500]
    made: list[int] = []
    for code, c in by_code.items():
        fact = c.question.fact
        if not fact or not isinstance(c.value, str):
            continue
        named = _vendor_named(c.value)
        if named is None:
            continue
        if fact == "maker" and call.product_model_id:
            pm = call.product_model
            if named.pk in (pm.brand_id, pm.manufacturer_id) or OemRelation.objects.filter(
                    brand_id=pm.brand_id, manufacturer=named).exists():
                continue
            made.append(_propose(call, ProposalKind.OEM_ADD, pm.brand, source, {
                "manufacturer": named.pk, "category": pm.category, "confidence": OemConfidence.REPORTED,
                "source": source}))
        elif fact == "listed_owner" and call.vendor_id and code == "listed_owner":
            said_yes = any(o.question.covered and o.value is True for o in by_code.values())
            if not said_yes or named.pk == call.vendor_id or Ownership.objects.filter(
                    owner=named, owned_id=call.vendor_id).exists():
                continue
            made.append(_propose(call, ProposalKind.OWNERSHIP_ADD, call.vendor, source, {
                "owner": named.pk, "kind": OwnershipKind.CONTROL, "share_percent": None, "source": source}))
    return made


def _propose(call: DataCall, kind: str, vendor: Vendor, source: str, payload: dict) -> int:
    if call.created_by is None:
        raise ApplicationError("The officer who sent this request is no longer registered; ask the organisation "
                               "for a new request.", code="conflict")
    proposal = proposal_submit(kind=kind, vendor=vendor, actor=call.created_by, payload=payload,
                               organization_id=call.organization_id, source_document=source,
                               source_url=f"{settings.PUBLIC_BASE_URL}/data-calls/{call.pk}/")
    return proposal.pk


def declared_finding_source_key(finding: DeclaredFinding) -> str:
    """The finding's name on its units' declarations (apps.screening UnitDeclaration.source_key)."""
    return f"outreach.declared_finding:{finding.pk}"


def _declared_by(call: DataCall) -> str:
    if call.vendor_id:
        return call.vendor.name
    return call.recipient_name or f"the manager of site {call.site}"


def _finding_activity(finding: DeclaredFinding, kind: str) -> events.RegistryActivity:
    """finding.opened / finding.closed for a declared finding (object kind "declared_finding", its API link)."""
    call = finding.data_call
    return events.RegistryActivity(type=kind, organization_id=finding.organization_id,
                                   object_kind="declared_finding", object_id=finding.pk, site_id=call.site_id,
                                   status=finding.risk_status)


def _finding_open(call: DataCall, answer: DataCallAnswer, signature: dict, now: dt.datetime) -> DeclaredFinding:
    """The declared finding on the call's units, and through apps.screening a declaration on each unit: the
    units take the question's covered status (question_sets.covered_status_for) with the reason "Declared by
    <supplier> in data call #N (signed by <name>, <date>): covered equipment"."""
    status = covered_status_for(call.template, answer.question.code)
    finding = DeclaredFinding.objects.create(
        organization_id=call.organization_id, data_call=call, answer=answer, vendor_id=call.vendor_id, opened_at=now,
        risk_status=status,
        text=(f"{signature['signer_name']} ({signature['signer_title']}) answered yes on "
              f"{signature['signed_on']:%Y-%m-%d}: {answer.question.text}")[:5000])
    unit_ids = list(call.equipment.values_list("pk", flat=True))
    finding.equipment.set(unit_ids)
    unit_declarations_open(
        organization_id=call.organization_id, equipment_ids=unit_ids, status=status, now=now,
        source_key=declared_finding_source_key(finding), data_call_id=call.pk, answer_id=answer.pk,
        reason=(f"Declared by {_declared_by(call)} in data call #{call.pk} (signed by {signature['signer_name']}, "
                f"{signature['signed_on']:%Y-%m-%d}): covered equipment"))
    audit_record(action="outreach.declared_finding.open", obj=finding, organization_id=call.organization_id,
                 changes={"data_call": call.pk, "answer": answer.pk, "question": answer.question.code,
                          "equipment": unit_ids, "vendor": call.vendor_id, "risk_status": status})
    events.publish(_finding_activity(finding, "finding.opened"))
    return finding


@write_transaction()
def declared_finding_close(*, finding: DeclaredFinding | int, user, note: str,
                           now: dt.datetime | None = None) -> DeclaredFinding:
    """An officer closes a declared finding once reviewed (a note is required): its units' declarations close
    with it, so their risk status no longer counts it."""
    row = row_lock(DeclaredFinding, finding.pk if isinstance(finding, DeclaredFinding) else finding)
    require(user, Action.WRITE, row)
    if row.status != DeclaredFindingStatus.OPEN:
        raise ApplicationError("The finding is already closed.", code="conflict")
    if not (note or "").strip():
        raise ApplicationError("Say why it is closed.", fields={"note": ["Required."]})
    row.status, row.closed_at, row.closed_by, row.close_note = DeclaredFindingStatus.CLOSED, now or timezone.now(), \
        user, note.strip()[:5000]
    row.save(update_fields=["status", "closed_at", "closed_by", "close_note", "updated_at"])
    units = unit_declarations_close(organization_id=row.organization_id, source_key=declared_finding_source_key(row),
                                    now=row.closed_at)
    audit_record(action="outreach.declared_finding.close", actor=user, obj=row, organization_id=row.organization_id,
                 changes={"note": row.close_note, "equipment": units})
    events.publish(_finding_activity(row, "finding.closed"))
    return row


@write_transaction()
def data_call_fact_apply(*, data_call: DataCall | int, fact: str, user) -> ProductModel:
    """Apply one differing fact of an answered component declaration (country of origin, software supplier,
    remote access) to the call's product model, through apps.inventory's product_model_update: shared reference
    data that officers and admins may change (apps.accounts.policies, Action.WRITE on shared data), audited with
    the data call cited as the change reason. The value is read again from the signed answer (the answer stays
    the source), never taken from the request; a fact already recorded, or one the registry cannot hold (an
    unknown country or vendor name), is refused with the reason."""
    call = row_lock(DataCall, data_call.pk if isinstance(data_call, DataCall) else data_call)
    require(user, Action.WRITE, call)
    if fact not in PRODUCT_MODEL_FACTS:
        raise ApplicationError("No such product-model fact.", code="not_found")
    found = [f for f in data_call_declared_facts(call) if f.code == fact]
    if not found:
        raise ApplicationError("This call has no signed declaration of that fact (only an answered component "
                               "declaration has).", code="conflict")
    (row,) = found
    if not row.applicable:
        raise ApplicationError(row.note or "Nothing to apply.", code="conflict")
    response = call.response
    reason = (f"Data call #{call.pk} ({call.get_template_display()}): {row.code} declared by "
              f"{response.signer_name}, {response.signer_title}, signed on {response.signed_on:%Y-%m-%d}")
    pm = product_model_update(product_model=call.product_model, actor=user, reason=reason,
                              **{row.model_field: row.value})
    audit_record(action="outreach.datacall.fact_apply", actor=user, obj=call, organization_id=call.organization_id,
                 changes={"fact": row.code, "product_model": pm.pk, "field": row.model_field,
                          "value": row.value.pk if isinstance(row.value, Vendor) else row.value,
                          "answer_sha256": response.sha256})
    return pm


# --- the beat job ------------------------------------------------------------------------------------------

def data_calls_remind_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Once per call past its due date: a reminder with a new link (the old one stops working), an audit event
    and a `data_call.overdue` webhook event (published together, one batch). A failed mail rolls back that
    call only (it is tried again next run); the failures are raised at the end."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done, failed, activities = [], [], []
    for call_id in DataCall.objects.overdue(today).filter(reminded_at__isnull=True).values_list("pk", flat=True):
        try:
            with write_transaction():
                call = row_lock(DataCall, call_id)
                if call.state != DataCallState.SENT or call.reminded_at is not None:
                    continue
                DataCallToken.objects.filter(data_call=call, used_at__isnull=True, revoked_at__isnull=True
                                             ).update(revoked_at=now)
                # the new link works for another grace period from today
                link = _token_issue(call, now=now, expires_at=now + dt.timedelta(days=conf.link_grace_days()))
                call.reminded_at = now
                call.save(update_fields=["reminded_at", "updated_at"])
                audit_record(action="outreach.datacall.overdue", obj=call, organization_id=call.organization_id,
                             changes={"due_date": call.due_date, "reminded": call.recipient_email})
                _mail(call, link, reminder=True)
        except Exception:
            logger.exception("overdue reminder of data call %s failed", call_id)
            failed.append(call_id)
            continue
        done.append(call_id)
        activities.append(events.RegistryActivity(type="data_call.overdue", organization_id=call.organization_id,
                                                  object_kind="data_call", object_id=call.pk, site_id=call.site_id,
                                                  status="overdue"))
    events.publish_activities(activities)
    if failed:
        raise RuntimeError(f"overdue reminders failed for data calls {failed}")
    return done


def data_calls_renew(*, now: dt.datetime | None = None) -> list[int]:
    """Re-request each answered representation OUTREACH_RENEW_DAYS_BEFORE days before its validity ends: a new
    call (`renewal_of` the old one) with the same template, questions, recipient and units, due when the old
    answer expires (at least a week from today). Sent by the registry (actor None) for the original sender."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made, failed = [], []
    for call in (DataCall.objects.renewal_due(today, conf.renew_days_before()).exclude(state=DataCallState.CANCELLED)
                 .select_related("organization").prefetch_related("questions", "equipment")):
        custom = [{"kind": q.kind, "text": q.text, "choices": q.choices, "required": q.required,
                   "covered": q.covered} for q in call.questions.all()] if call.template == DataCallTemplate.CUSTOM \
            else None
        try:
            new = data_call_create(
                user=None, created_by=call.created_by, organization_id=call.organization_id, template=call.template,
                recipient_kind=call.recipient_kind, recipient_email=call.recipient_email,
                recipient_name=call.recipient_name, vendor=call.vendor_id, site=call.site_id,
                product_model=call.product_model_id, equipment_ids=[u.pk for u in call.equipment.all()],
                title=call.title, message=call.message, validity_days=call.validity_days, questions=custom,
                due_date=max(call.valid_until, today + dt.timedelta(days=7)), renewal_of=call, now=now)
        except Exception:
            logger.exception("re-request of data call %s failed", call.pk)
            failed.append(call.pk)
            continue
        made.append(new.pk)
    if failed:
        raise RuntimeError(f"re-requests failed for data calls {failed}")
    return made


def outreach_daily(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """The daily job: overdue reminders, then re-requests. Idempotent (each call once)."""
    reminded = data_calls_remind_overdue(now=now)
    renewed = data_calls_renew(now=now)
    return {"reminded": reminded, "renewed": renewed}
