"""The mails of the portal's e-mail alerts: the confirmation mail of a new subscription (an outbox event's
job) and the alerts themselves (``send_alerts``: beat, or the in-process worker, every ``alert_interval``).

What an alert contains comes from ``workflow.alerts.due_alerts`` (which asks the one visibility rule); each
alert mail is sent at most once (its dedupe key names the items) and its items are recorded afterwards, so
the next run does not mail them again. Every alert carries the unsubscribe link and List-Unsubscribe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, StrictUndefined
from sqlalchemy.orm import Session

from api.web import links
from workers.context import Context
from workers.delivery import MailNotDelivered, deliver
from workers.mail import Mail, german_datetime
from workflow import alerts
from workflow.models import Municipality

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEXT = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_CONFIRM_TEXT = _TEXT.from_string("""\
Guten Tag,

für diese E-Mail-Adresse wurde im Ratsinformationssystem {{ town }} eine Benachrichtigung bestellt:

  {{ title }}

Bitte bestätigen Sie die Bestellung mit diesem Link (er gilt {{ hours }} Stunden):

  {{ confirm_url }}

Ohne Bestätigung erhalten Sie keine Benachrichtigungen, und Ihre Adresse wird nach {{ hours }} Stunden
gelöscht. Wenn Sie nichts bestellt haben, können Sie diese E-Mail einfach ignorieren.

Ratsinformationssystem {{ town }}
""")

_CONFIRM_HTML = _ENV.from_string("""\
<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body>
<p>Guten Tag,</p>
<p>für diese E-Mail-Adresse wurde im Ratsinformationssystem {{ town }} eine Benachrichtigung bestellt:
<strong>{{ title }}</strong></p>
<p><a href="{{ confirm_url }}">Bestellung bestätigen</a> (der Link gilt {{ hours }} Stunden)</p>
<p>Ohne Bestätigung erhalten Sie keine Benachrichtigungen, und Ihre Adresse wird nach {{ hours }} Stunden
gelöscht. Wenn Sie nichts bestellt haben, können Sie diese E-Mail einfach ignorieren.</p>
<p>Ratsinformationssystem {{ town }}</p>
</body></html>
""")

_ALERT_TEXT = _TEXT.from_string("""\
Guten Tag,

Neues im Ratsinformationssystem {{ town }} zu Ihrer Benachrichtigung „{{ title }}“:

{% for line in lines %}
* {{ line.title }}
{% if line.detail %}
  {{ line.detail }}
{% endif %}
  {{ line.url }}

{% endfor %}
Diese Benachrichtigung abbestellen (ein Klick, Ihre Adresse wird gelöscht):
{{ unsubscribe_url }}

Ratsinformationssystem {{ town }}
""")

_ALERT_HTML = _ENV.from_string("""\
<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body>
<p>Guten Tag,</p>
<p>Neues im Ratsinformationssystem {{ town }} zu Ihrer Benachrichtigung „{{ title }}“:</p>
<ul>
{% for line in lines %}
<li><a href="{{ line.url }}">{{ line.title }}</a>{% if line.detail %}<br>{{ line.detail }}{% endif %}</li>
{% endfor %}
</ul>
<p><a href="{{ unsubscribe_url }}">Diese Benachrichtigung abbestellen</a> (ein Klick, Ihre Adresse wird gelöscht)</p>
<p>Ratsinformationssystem {{ town }}</p>
</body></html>
""")


def _url(ctx: Context, path: str) -> str:
    return ctx.settings.public_url.rstrip("/") + path


def confirmation_mail(*, key: str, recipient: str, town: str, title: str, confirm_url: str) -> Mail:
    subject = f"Bitte bestätigen: Benachrichtigung „{title}“"
    hours = int(alerts.CONFIRM_WITHIN.total_seconds() // 3600)
    values = {"town": town, "title": title, "confirm_url": confirm_url, "hours": hours, "subject": subject}
    return Mail(
        key=key,
        recipient=recipient,
        recipient_name="",
        subject=subject,
        text=_CONFIRM_TEXT.render(values),
        html=_CONFIRM_HTML.render(values),
    )


def alert_mail(
    *,
    key: str,
    recipient: str,
    town: str,
    title: str,
    lines: Sequence[Mapping[str, str]],
    unsubscribe_url: str,
) -> Mail:
    count = len(lines)
    subject = f"{'Ein neuer Eintrag' if count == 1 else f'{count} neue Einträge'}: {title}"
    values = {
        "town": town,
        "title": title,
        "lines": lines,
        "unsubscribe_url": unsubscribe_url,
        "subject": subject,
    }
    return Mail(
        key=key,
        recipient=recipient,
        recipient_name="",
        subject=subject,
        text=_ALERT_TEXT.render(values),
        html=_ALERT_HTML.render(values),
        # RFC 2369 and RFC 8058: the mail program offers "abbestellen", and may do it with one POST.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def confirmation(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """The confirmation mail of a new subscription (nothing when it was confirmed or deleted meanwhile)."""
    subscription_id = int(payload["subscription_id"])
    with ctx.sessions() as session:
        pending = alerts.pending_confirmation(session, subscription_id)
        if pending is None:
            return
        row, town_key, title = pending
        town = session.get_one(Municipality, row.municipality_id).name
        key = alerts.CONFIRMATION_KEY.format(id=row.id)
        message = confirmation_mail(
            key=key,
            recipient=row.email,
            town=town,
            title=title,
            confirm_url=_url(ctx, links.alert_confirm(town_key, row.token)),
        )
    deliver(
        ctx.sessions,
        dedupe_key=key,
        mails=[message],
        settings=ctx.settings,
        transport=ctx.transport,
        clock=ctx.clock,
    )


def _line(ctx: Context, session: Session, town_key: str, item: alerts.AlertItem) -> dict[str, str]:
    paper = item.paper
    if item.item is None:
        assert paper is not None
        return {
            "title": f"Neue Vorlage {paper.reference}: {paper.subject}",
            "detail": "",
            "url": _url(ctx, links.paper(town_key, paper)),
        }
    meeting = item.item.meeting
    about = f" ({paper.reference}: {paper.subject})" if paper is not None else ""
    when = german_datetime(meeting.start)
    return {
        "title": f"Ergebnis TOP {item.item.number} {item.item.title}{about}: {item.text}",
        "detail": f"{meeting.name}, {when}"
        + (" – vorläufig, die Niederschrift ist noch nicht genehmigt" if item.provisional else ""),
        "url": _url(
            ctx, links.paper(town_key, paper) if paper else links.meeting(session, town_key, meeting)
        ),
    }


def send_alerts(ctx: Context) -> int:
    """Delete unconfirmed subscriptions whose link expired, then mail every due alert; returns how many
    alert mails went out. A mail that could not be sent is tried again on the next run."""
    alerts.purge(ctx.sessions, now=ctx.clock())
    planned: list[tuple[int, list[str], Mail]] = []
    with ctx.sessions() as session:
        towns = {m.key: m.name for m in session.query(Municipality)}
        for alert in alerts.due_alerts(session):
            keys = [i.key for i in alert.items]
            digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:24]
            key = alerts.ALERT_KEY_PREFIX.format(id=alert.subscription_id) + digest
            planned.append(
                (
                    alert.subscription_id,
                    keys,
                    alert_mail(
                        key=key,
                        recipient=alert.email,
                        town=towns[alert.town_key],
                        title=alert.title,
                        lines=[_line(ctx, session, alert.town_key, i) for i in alert.items],
                        unsubscribe_url=_url(ctx, links.alert_unsubscribe(alert.town_key, alert.token)),
                    ),
                )
            )
    sent, failed = 0, 0
    for subscription_id, keys, message in planned:
        try:
            report = deliver(
                ctx.sessions,
                dedupe_key=message.key,
                mails=[message],
                settings=ctx.settings,
                transport=ctx.transport,
                clock=ctx.clock,
            )
        except MailNotDelivered:
            failed += 1
            continue
        alerts.record_sent(ctx.sessions, subscription_id=subscription_id, item_keys=keys, now=ctx.clock())
        sent += len(report.sent)
    if failed:
        raise MailNotDelivered(f"{failed} alert mails not delivered; they go out on the next run")
    return sent
