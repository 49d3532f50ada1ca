"""From repaired OParl objects to the records the domain writes (``workflow.history``): pure functions.

What a field means in the old system is read here: which organizations are bodies, factions or
departments, what kind of body, what a membership role or a paper type is in our vocabulary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from api.oparl.format import VENDOR
from api.oparl.organizations import BODY_KIND_LABELS
from workers.oparl_import.repairs import parse_date, parse_datetime, type_name
from workflow.history import (
    AgendaItemIn,
    ConsultationIn,
    FileIn,
    ListedFileIn,
    LocationIn,
    MeetingIn,
    MembershipIn,
    OrganizationIn,
    PaperIn,
    PersonIn,
    Source,
    TermIn,
)
from workflow.history_import import slug
from workflow.vocabulary import BodyKind, ConsultationRole, MembershipRole, PaperKind


class MappingError(ValueError):
    """The object cannot be imported (the reason is German: it goes into the report)."""


def content_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def source_of(obj: dict[str, Any], *, back_references: tuple[str, ...] = ()) -> Source:
    """Identity of an object; ``back_references`` (fields a list version carries and the embedded one
    leaves out, e.g. a membership's ``person``) do not count for its hash, so both versions hash alike."""
    url = obj.get("id")
    if not isinstance(url, str) or not url:
        raise MappingError("Objekt ohne id")
    hashed = {k: v for k, v in obj.items() if k not in back_references} if back_references else obj
    return Source(
        url=url,
        content_hash=content_hash(hashed),
        modified=parse_datetime(obj.get("modified")),
        created=parse_datetime(obj.get("created")),
    )


def _text(obj: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _first_url(value: Any) -> str | None:
    if isinstance(value, list):
        return next((u for u in map(_url, value) if u), None)
    return _url(value)


def url_key(name: str, url: str) -> str:
    """A readable, stable key: the name's slug and the last part of the source URL."""
    return f"{slug(name, 40)}-{slug(url.rstrip('/').rsplit('/', 1)[-1], 20)}"


# ------------------------------------------------------------------------------------ organizations


def organization_kind(obj: dict[str, Any]) -> str:
    """``faction`` (Fraktion, Partei), ``department`` (Dienststelle, Verwaltungsbereich) or ``body``."""
    if (_text(obj, "organizationType") or "").lower() == "gremium":
        return "body"
    text = " ".join(filter(None, (_text(obj, "organizationType"), _text(obj, "classification")))).lower()
    if "fraktion" in text or "partei" in text:
        return "faction"
    if any(
        word in text for word in ("dienststelle", "verwaltung", "fachbereich", "dezernat", "referat", "amt ")
    ):
        return "department"
    return "body"


_BODY_KINDS: tuple[tuple[tuple[str, ...], BodyKind], ...] = (
    (("magistrat", "gemeindevorstand", "kreisausschuss"), BodyKind.executive),
    (("haupt- und finanzausschuss", "hauptausschuss", "verwaltungsausschuss"), BodyKind.main_committee),
    (
        (
            "ortsbeirat",
            "ortsrat",
            "ortschaftsrat",
            "bezirksvertretung",
            "bezirksbeirat",
            "ortsvorsteher",
            "stadtbezirksrat",
        ),
        BodyKind.district,
    ),
    (("beirat",), BodyKind.advisory),
    (
        (
            "gemeinderat",
            "stadtrat",
            "stadtverordnetenversammlung",
            "gemeindevertretung",
            "kreistag",
            "ratsversammlung",
            "rat der",
        ),
        BodyKind.assembly,
    ),
)


_KIND_BY_LABEL = {label.lower(): BodyKind(kind) for kind, label in BODY_KIND_LABELS.items()}


def body_kind(name: str, classification: str | None = None) -> BodyKind:
    """The kind of body: from the classification where it is one of ours, else from the name."""
    if classification and classification.lower() in _KIND_BY_LABEL:
        return _KIND_BY_LABEL[classification.lower()]
    lowered = name.lower()
    if lowered.strip() == "rat":
        return BodyKind.assembly
    for words, kind in _BODY_KINDS:
        if any(word in lowered for word in words):
            return kind
    return BodyKind.committee


def organization(obj: dict[str, Any]) -> OrganizationIn:
    source = source_of(obj)
    name = _text(obj, "name", "shortName")
    if name is None:
        raise MappingError("Organisation ohne Namen")
    kind = organization_kind(obj)
    short = _text(obj, "shortName") or name
    public = obj.get(VENDOR + "public")
    members = obj.get(VENDOR + "statutoryMembers")
    return OrganizationIn(
        source=source,
        kind=kind,
        key=url_key(short, source.url),
        name=name,
        short_name=short,
        body_kind=body_kind(name, _text(obj, "classification")).value if kind == "body" else None,
        public=public if isinstance(public, bool) else True,
        statutory_members=members if isinstance(members, int) and members >= 0 else 0,
    )


# ------------------------------------------------------------------------------------------- persons


def membership_role(text: str | None) -> MembershipRole:
    lowered = (text or "").lower()
    deputy = "stellv" in lowered or "vertret" in lowered
    if "vorsitz" in lowered or "vorsteher" in lowered:
        return MembershipRole.deputy_chair if deputy else MembershipRole.chair
    if deputy:
        return MembershipRole.substitute
    if "sachkundig" in lowered or "beratend" in lowered:
        return MembershipRole.advisory
    return MembershipRole.member


def membership(obj: dict[str, Any]) -> MembershipIn:
    """A membership embedded in its person, or one of the Body's membership list (with its ``person``)."""
    source = source_of(obj, back_references=("person",))
    org = _url(obj.get("organization"))
    if org is None:
        raise MappingError("Mitgliedschaft ohne Organisation")
    role = membership_role(_text(obj, "role"))
    voting = obj.get("votingRight")
    return MembershipIn(
        source=source,
        organization_url=org,
        on_behalf_of_url=_url(obj.get("onBehalfOf")),
        substitute_for_url=_url(obj.get(VENDOR + "substituteFor")),
        role=role.value,
        voting_right=voting
        if isinstance(voting, bool)
        else role in (MembershipRole.chair, MembershipRole.deputy_chair, MembershipRole.member),
        start_date=parse_date(obj.get("startDate")),
        end_date=parse_date(obj.get("endDate")),
        person_url=_url(obj.get("person")),
    )


def listed_membership(obj: dict[str, Any]) -> MembershipIn:
    """A membership of the Body's membership list: it must name its person."""
    found = membership(obj)
    if found.person_url is None:
        raise MappingError("Mitgliedschaft ohne Person")
    return found


def person(obj: dict[str, Any]) -> tuple[PersonIn, list[tuple[str, str, str]]]:
    """The person and the problems with its embedded memberships (type, URL, reason)."""
    source = source_of(obj)
    family = _text(obj, "familyName")
    given = _text(obj, "givenName")
    if family is None:
        name = _text(obj, "name")
        if name is None:
            raise MappingError("Person ohne Namen")
        given, _, family = name.rpartition(" ")
    titles = obj.get("title")
    title = (
        " ".join(t for t in titles if isinstance(t, str)) if isinstance(titles, list) else _text(obj, "title")
    )
    status = obj.get("status")
    function = next((t for t in status if isinstance(t, str)), None) if isinstance(status, list) else None
    emails = obj.get("email")
    email = next((e for e in emails if isinstance(e, str)), None) if isinstance(emails, list) else None
    memberships, problems, refs = [], [], []
    for m in obj.get("membership") or []:
        if not isinstance(m, dict):
            if isinstance(m, str) and m:
                refs.append(m)  # a URL only: the membership list brings it
            continue
        try:
            memberships.append(membership(m))
        except MappingError as exc:
            problems.append(("Membership", str(m.get("id", source.url)), str(exc)))
    return (
        PersonIn(
            source=source,
            key=url_key(f"{family}-{given or ''}", source.url),
            given_name=given or "",
            family_name=family or "",
            title=title or None,
            email=email,
            function=function,
            memberships=tuple(memberships),
            membership_refs=tuple(refs),
        ),
        problems,
    )


# ------------------------------------------------------------------------------------------ meetings


def file_record(obj: dict[str, Any], role: str) -> FileIn:
    source = source_of(obj)
    access = _text(obj, "accessUrl", "downloadUrl")
    if access is None:
        raise MappingError("Datei ohne accessUrl")
    size = obj.get("size")
    return FileIn(
        source=source,
        role=role,
        name=_text(obj, "name", "fileName") or "Datei",
        file_name=_text(obj, "fileName"),
        media_type=_text(obj, "mimeType"),
        size_bytes=size if isinstance(size, int) and size >= 0 else None,
        file_date=parse_date(obj.get("date")),
        access_url=access,
        download_url=_text(obj, "downloadUrl"),
    )


def files(
    obj: dict[str, Any], roles: tuple[str, ...], problems: list[tuple[str, str, str]]
) -> tuple[FileIn, ...]:
    out = []
    for role in roles:
        value = obj.get(role)
        for f in value if isinstance(value, list) else [value]:
            if isinstance(f, dict):
                try:
                    out.append(file_record(f, role))
                except MappingError as exc:
                    problems.append(("File", str(f.get("id", obj.get("id"))), str(exc)))
    return tuple(out)


def legislative_term(obj: dict[str, Any]) -> TermIn:
    """A term embedded in the Body or of its term list (``legislativeTermList``; the same hash either way)."""
    start, end = parse_date(obj.get("startDate")), parse_date(obj.get("endDate"))
    name = _text(obj, "name") or "Wahlperiode " + "–".join(str(d.year) for d in (start, end) if d)
    return TermIn(source=source_of(obj, back_references=("body",)), name=name, start_date=start, end_date=end)


def listed_file(obj: dict[str, Any]) -> ListedFileIn:
    """A File of the Body's file list: the record and the objects it names as its owners."""
    return ListedFileIn(
        file=file_record(obj, "file"),
        paper_url=_first_url(obj.get("paper")),
        meeting_url=_first_url(obj.get("meeting")),
        agenda_item_url=_first_url(obj.get("agendaItem")),
    )


def location_text(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    described = _text(value, "description")
    if described:
        return described
    place = " ".join(filter(None, (_text(value, "postalCode"), _text(value, "locality"))))
    return ", ".join(filter(None, (_text(value, "streetAddress"), _text(value, "room"), place))) or None


#: What a Location of the Body's location list names and an embedded one leaves out.
LOCATION_BACK_REFERENCES = ("bodies", "organizations", "persons", "meetings", "papers", "meeting", "paper")


def location(value: Any) -> LocationIn | None:
    """A Location embedded with an id (in a meeting, the Body) or of the Body's location list (a URL alone
    says nothing: ``None``)."""
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    return LocationIn(
        source=source_of(value, back_references=LOCATION_BACK_REFERENCES),
        description=_text(value, "description"),
        street_address=_text(value, "streetAddress"),
        room=_text(value, "room"),
        postal_code=_text(value, "postalCode"),
        locality=_text(value, "locality"),
    )


def agenda_item(obj: dict[str, Any], problems: list[tuple[str, str, str]]) -> AgendaItemIn:
    public = obj.get("public")
    return AgendaItemIn(
        source=source_of(obj),
        number=_text(obj, "number") or "",
        title=_text(obj, "name") or "(ohne Bezeichnung)",
        public=public if isinstance(public, bool) else True,
        result_wording=_text(obj, "result"),
        files=files(obj, ("resolutionFile", "auxiliaryFile"), problems),
        resolution_text=_text(obj, "resolutionText"),
        consultation_url=_url(obj.get("consultation")),
    )


def meeting(obj: dict[str, Any]) -> tuple[MeetingIn, list[tuple[str, str, str]]]:
    source = source_of(obj)
    start = parse_datetime(obj.get("start"))
    if start is None:
        raise MappingError("Sitzung ohne Beginn")
    problems: list[tuple[str, str, str]] = []
    items = []
    for item in obj.get("agendaItem") or []:
        if isinstance(item, dict):
            try:
                items.append(agenda_item(item, problems))
            except MappingError as exc:
                problems.append(("AgendaItem", str(item.get("id", source.url)), str(exc)))
    orgs = tuple(u for u in map(_url, obj.get("organization") or []) if u)
    return (
        MeetingIn(
            source=source,
            name=_text(obj, "name") or "Sitzung",
            start=start,
            end=parse_datetime(obj.get("end")),
            cancelled=obj.get("cancelled") is True,
            location=location_text(obj.get("location")),
            place=location(obj.get("location")),
            place_url=obj["location"] if isinstance(obj.get("location"), str) else None,
            organization_urls=orgs,
            participant_urls=tuple(u for u in map(_url, obj.get("participant") or []) if u),
            agenda_items=tuple(items),
            files=files(
                obj, ("invitation", "resultsProtocol", "verbatimProtocol", "auxiliaryFile"), problems
            ),
        ),
        problems,
    )


# -------------------------------------------------------------------------------------------- papers


def paper_kind(paper_type: str | None) -> PaperKind:
    lowered = (paper_type or "").lower()
    amending = "änderung" in lowered or "ergänzung" in lowered  # e.g. "Änderungs-/Ergänzungsantrag"
    if "antrag" in lowered and amending:
        return PaperKind.aenderungsantrag
    if "anfrage" in lowered:
        return PaperKind.anfrage
    if "antrag" in lowered:
        return PaperKind.antrag
    if any(word in lowered for word in ("mitteilung", "information", "bericht")):
        return PaperKind.mitteilungsvorlage
    return PaperKind.beschlussvorlage


def consultation_role(text: str | None) -> str | None:
    lowered = (text or "").lower()
    for words, role in (
        (("entscheid", "beschl"), ConsultationRole.decision),
        (("vorberat", "empfehl"), ConsultationRole.preliminary),
        (("kenntnis",), ConsultationRole.notice),
        (("anhör",), ConsultationRole.hearing),
    ):
        if any(re.search(word, lowered) for word in words):
            return role.value
    return None


def consultation(obj: dict[str, Any]) -> ConsultationIn:
    authoritative = obj.get("authoritative")
    stage = obj.get(VENDOR + "stage")
    return ConsultationIn(
        stage=stage if isinstance(stage, int) and not isinstance(stage, bool) and stage > 0 else None,
        source=source_of(obj),
        organization_url=_first_url(obj.get("organization")),
        meeting_url=_url(obj.get("meeting")),
        agenda_item_url=_url(obj.get("agendaItem")),
        role=consultation_role(_text(obj, "role")),
        authoritative=authoritative if isinstance(authoritative, bool) else None,
        # gremienlauf publishes every step's stage and state, except the state of one dealt with in private
        state_withheld=VENDOR + "stage" in obj and VENDOR + "state" not in obj,
    )


def paper(obj: dict[str, Any]) -> tuple[PaperIn, list[tuple[str, str, str]]]:
    source = source_of(obj)
    subject = _text(obj, "name")
    if subject is None:
        raise MappingError("Vorlage ohne Betreff (name)")
    day = parse_date(obj.get("date")) or (source.created.date() if source.created else None)
    if day is None:
        raise MappingError("Vorlage ohne Datum")
    problems: list[tuple[str, str, str]] = []
    steps = []
    for c in obj.get("consultation") or []:
        if isinstance(c, dict):
            try:
                steps.append(consultation(c))
            except MappingError as exc:
                problems.append(("Consultation", str(c.get("id", source.url)), str(exc)))
    reference = _text(obj, "reference")
    if reference is not None and len(reference) > 40:
        problems.append(("Paper", source.url, f"Drucksachen-Nr. gekürzt: {reference}"))
        reference = reference[:40]
    return (
        PaperIn(
            source=source,
            kind=paper_kind(_text(obj, "paperType")).value,
            reference=reference,
            subject=subject,
            paper_date=day,
            department_url=_first_url(obj.get("underDirectionOf")),
            consultations=tuple(steps),
            files=files(obj, ("mainFile", "auxiliaryFile"), problems),
            file_reference=_text(obj, VENDOR + "fileReference"),
            financial_impact=obj.get(VENDOR + "financialImpact") is True,
            proposed_resolution=_text(obj, VENDOR + "proposedResolution") or "",
            resolution_text=_text(obj, VENDOR + "resolutionText"),
        ),
        problems,
    )


def version_of(obj: dict[str, Any]) -> str:
    """``1.0`` or ``1.1``, from the object's type URL."""
    match = re.search(r"/(\d\.\d)/", str(obj.get("type", "")))
    return match.group(1) if match else "1.1"


def is_type(obj: Any, name: str) -> bool:
    return isinstance(obj, dict) and type_name(obj.get("type")) == name


def as_of(value: Any) -> dt.datetime | None:
    return parse_datetime(value)
