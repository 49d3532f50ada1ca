"""German mails as ``EmailMessage``: plain text and HTML (Jinja2, autoescaped), an optional .ics part and
optional attachments. Pure functions: no database, no network."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, StrictUndefined

from workflow.rules import BERLIN

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEXT_ENV = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def german_datetime(moment: dt.datetime) -> str:
    """'Montag, 30.09.2013, 17:00 Uhr' in Europe/Berlin."""
    local = moment.astimezone(BERLIN)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d.%m.%Y, %H:%M} Uhr"


@dataclass(frozen=True)
class Attachment:
    file_name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    """A mail before it becomes an EmailMessage; ``key`` makes the Message-ID deterministic."""

    key: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    calendar: bytes | None = None
    calendar_method: str | None = None
    attachments: Sequence[Attachment] = field(default_factory=tuple)
    #: Further headers, e.g. List-Unsubscribe of an alert mail.
    headers: Mapping[str, str] = field(default_factory=dict)


def message_id(key: str, recipient: str) -> str:
    """The same mail to the same recipient always has the same Message-ID (clients drop duplicates)."""
    digest = hashlib.sha256(f"{key}\n{recipient.lower()}".encode()).hexdigest()[:32]
    return f"<{digest}@gremienlauf.example>"


def one_line(text: str) -> str:
    """Text for a mail header: users' line breaks (subjects pasted from Word) become spaces, since a header
    may not contain one (``EmailMessage`` refuses it, and the mail would never go out)."""
    return " ".join(text.split())


def to_message(mail: Mail, *, sender: str, now: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    name, address = parseaddr(sender)
    msg["From"] = Address(display_name=one_line(name), addr_spec=address) if name else address
    msg["To"] = Address(display_name=one_line(mail.recipient_name), addr_spec=mail.recipient)
    msg["Subject"] = one_line(mail.subject)
    msg["Date"] = format_datetime(now.astimezone(BERLIN))
    msg["Message-ID"] = message_id(mail.key, mail.recipient)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    if mail.calendar is not None:
        # Outlook and Thunderbird offer "accept" for a text/calendar part with a METHOD parameter.
        msg.add_attachment(
            mail.calendar,
            maintype="text",
            subtype="calendar",
            filename="einladung.ics" if mail.calendar_method != "CANCEL" else "absage.ics",
            params={"method": mail.calendar_method or "REQUEST"},
        )
    for attachment in mail.attachments:
        maintype, subtype = attachment.media_type.split("/", 1)
        msg.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.file_name
        )
    return msg


# --------------------------------------------------------------------------- the mails


@dataclass(frozen=True)
class AgendaLine:
    number: str
    title: str
    reference: str | None
    public: bool


@dataclass(frozen=True)
class MeetingInfo:
    name: str
    bodies: str
    start: dt.datetime
    location: str | None
    urgent_reason: str | None = None
    cancelled_reason: str | None = None
    agenda: Sequence[AgendaLine] = ()


_INVITATION_TEXT = _TEXT_ENV.from_string("""\
Guten Tag {{ name }},
{% if moved_from %}

die Sitzung wurde verlegt; bisher war sie für {{ moved_from }} vorgesehen.
{% endif %}

hiermit lade ich Sie zu folgender Sitzung ein:

  {{ meeting.name }}
  am {{ when }}
  Ort: {{ meeting.location or "wird noch mitgeteilt" }}
{% if meeting.urgent_reason %}

Die Ladungsfrist wurde wegen Dringlichkeit verkürzt: {{ meeting.urgent_reason }}
{% endif %}

Tagesordnung
{% for item in public %}
  TOP {{ item.number }}  {{ item.title }}{% if item.reference %} (Drucksache {{ item.reference }}){% endif %}

{% endfor %}
{% if private %}

Nichtöffentlicher Teil
{% for item in private %}
  TOP {{ item.number }}  {{ item.title }}{% if item.reference %} (Drucksache {{ item.reference }}){% endif %}

{% endfor %}
{% endif %}

Die Einladung liegt als Kalendereintrag bei; die Unterlagen finden Sie im Ratsinformationssystem.

Mit freundlichen Grüßen
Sitzungsdienst
""")

_INVITATION_HTML = _ENV.from_string("""\
<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ meeting.name }}</title></head>
<body>
<p>Guten Tag {{ name }},</p>
{% if moved_from %}<p><strong>Die Sitzung wurde verlegt;</strong> bisher war sie für {{ moved_from }} vorgesehen.</p>{% endif %}
<p>hiermit lade ich Sie zu folgender Sitzung ein:</p>
<p><strong>{{ meeting.name }}</strong><br>am {{ when }}<br>Ort: {{ meeting.location or "wird noch mitgeteilt" }}</p>
{% if meeting.urgent_reason %}
<p><strong>Die Ladungsfrist wurde wegen Dringlichkeit verkürzt:</strong> {{ meeting.urgent_reason }}</p>
{% endif %}
<h2>Tagesordnung</h2>
<table>
{% for item in public %}
<tr><td>TOP {{ item.number }}</td><td>{{ item.title }}</td><td>{{ item.reference or "" }}</td></tr>
{% endfor %}
</table>
{% if private %}
<h3>Nichtöffentlicher Teil</h3>
<table>
{% for item in private %}
<tr><td>TOP {{ item.number }}</td><td>{{ item.title }}</td><td>{{ item.reference or "" }}</td></tr>
{% endfor %}
</table>
{% endif %}
<p>Die Einladung liegt als Kalendereintrag bei; die Unterlagen finden Sie im Ratsinformationssystem.</p>
<p>Mit freundlichen Grüßen<br>Sitzungsdienst</p>
</body></html>
""")


def invitation_mail(
    *,
    key: str,
    recipient: str,
    name: str,
    meeting: MeetingInfo,
    calendar: bytes,
    changed: bool = False,
    moved_from: str | None = None,
) -> Mail:
    """The invitation with the agenda (non-public part included: only members get it) and the .ics;
    ``moved_from``: when and where a moved meeting was to be before ("Montag, 28.10.2013, 17:00 Uhr, Rathaus")."""
    public = [i for i in meeting.agenda if i.public]
    private = [i for i in meeting.agenda if not i.public]
    when = german_datetime(meeting.start)
    context = {
        "name": name,
        "meeting": meeting,
        "when": when,
        "public": public,
        "private": private,
        "moved_from": moved_from,
    }
    prefix = "Geänderte Einladung" if changed else "Einladung"
    return Mail(
        key=key,
        recipient=recipient,
        recipient_name=name,
        subject=f"{prefix}: {_titled(meeting)}",
        text=_INVITATION_TEXT.render(context),
        html=_INVITATION_HTML.render(context),
        calendar=calendar,
        calendar_method="REQUEST",
    )


def titled(name: str, start: dt.datetime) -> str:
    """A meeting's name with its date (most names already carry it: "Sitzung … am 28.10.2013")."""
    day = f"{start.astimezone(BERLIN):%d.%m.%Y}"
    return name if day in name else f"{name} am {day}"


def _titled(meeting: MeetingInfo) -> str:
    return titled(meeting.name, meeting.start)


_SIMPLE_HTML = _ENV.from_string("""\
<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body>
<p>Guten Tag {{ name }},</p>
{% for paragraph in paragraphs %}
<p>{{ paragraph }}</p>
{% endfor %}
<p>Mit freundlichen Grüßen<br>Sitzungsdienst</p>
</body></html>
""")


def _simple(
    *,
    key: str,
    recipient: str,
    name: str,
    subject: str,
    paragraphs: Sequence[str],
    calendar: bytes | None = None,
    calendar_method: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Mail:
    text = (
        f"Guten Tag {name},\n\n" + "\n\n".join(paragraphs) + "\n\nMit freundlichen Grüßen\nSitzungsdienst\n"
    )
    html = _SIMPLE_HTML.render(subject=subject, name=name, paragraphs=paragraphs)
    return Mail(
        key=key,
        recipient=recipient,
        recipient_name=name,
        subject=subject,
        text=text,
        html=html,
        calendar=calendar,
        calendar_method=calendar_method,
        attachments=tuple(attachments),
    )


def cancellation_mail(*, key: str, recipient: str, name: str, meeting: MeetingInfo, calendar: bytes) -> Mail:
    when = german_datetime(meeting.start)
    # Neutral wording: a meeting's name may be "Gemeinsame Sitzung …" or anything the office typed.
    paragraphs = [f"folgende Sitzung findet nicht statt: {meeting.name} ({when})."]
    if meeting.cancelled_reason:
        paragraphs.append(f"Grund: {meeting.cancelled_reason}")
    paragraphs.append("Die Vorlagen der Tagesordnung werden für die nächste Sitzung vorgesehen.")
    return _simple(
        key=key,
        recipient=recipient,
        name=name,
        subject=f"Absage: {_titled(meeting)}",
        paragraphs=paragraphs,
        calendar=calendar,
        calendar_method="CANCEL",
    )


@dataclass(frozen=True)
class ResultInfo:
    reference: str | None
    subject: str
    body: str
    meeting_start: dt.datetime
    item_number: str
    outcome_wording: str
    resolution_text: str | None


def result_mail(
    *, key: str, recipient: str, name: str, result: ResultInfo, attachments: Sequence[Attachment] = ()
) -> Mail:
    """The result of one agenda item to the originating department, with the resolution extract."""
    paper = f"Drucksache {result.reference}" if result.reference else "Vorlage"
    # Not "der {body} hat in seiner Sitzung": a body may be feminine (die Stadtverordnetenversammlung).
    paragraphs = [
        f"die {paper} „{result.subject}“ wurde beraten: {result.body}, Sitzung am "
        f"{german_datetime(result.meeting_start)}, TOP {result.item_number}.",
        f"Ergebnis: {result.outcome_wording}",
    ]
    if result.resolution_text:
        paragraphs.append(f"Beschluss: {result.resolution_text}")
    if attachments:
        paragraphs.append("Der Auszug aus der Niederschrift liegt bei.")
    return _simple(
        key=key,
        recipient=recipient,
        name=name,
        subject=f"Ergebnis der Beratung: {paper} – {result.subject}",
        paragraphs=paragraphs,
        attachments=attachments,
    )


def reminder_mail(*, key: str, recipient: str, name: str, subject: str, paragraphs: Sequence[str]) -> Mail:
    return _simple(key=key, recipient=recipient, name=name, subject=subject, paragraphs=paragraphs)
