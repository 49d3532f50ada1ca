"""The German of the mails: correct for every body and meeting name the office may use."""

from __future__ import annotations

from tests.scenario import berlin
from workers import mail
from workers.jobs import _agenda_size


def _text(m: mail.Mail) -> str:
    return " ".join(m.text.split())


def test_the_result_mail_is_correct_german_for_a_feminine_body() -> None:
    result = mail.ResultInfo(
        reference="1562/13",
        subject="Städtepartnerschaft",
        body="Stadtverordnetenversammlung",
        meeting_start=berlin("2013-11-27 17:00"),
        item_number="5",
        outcome_wording="beschlossen",
        resolution_text=None,
    )
    text = _text(mail.result_mail(key="k", recipient="a@b.example", name="Amt", result=result))
    assert "der Stadtverordnetenversammlung hat" not in text
    assert "in seiner Sitzung" not in text
    assert (
        "die Drucksache 1562/13 „Städtepartnerschaft“ wurde beraten: Stadtverordnetenversammlung, "
        "Sitzung am Mittwoch, 27.11.2013, 17:00 Uhr, TOP 5." in text
    )


def test_invitation_and_cancellation_of_a_joint_meeting_read_correctly() -> None:
    info = mail.MeetingInfo(
        name="Gemeinsame Sitzung am 28.10.2013",
        bodies="A, B, C",
        start=berlin("2013-10-28 17:00"),
        location="Rathaus",
    )
    invitation = mail.invitation_mail(
        key="k", recipient="a@b.example", name="Frau A", meeting=info, calendar=b""
    )
    assert "ein zur" not in invitation.text  # "zur Gemeinsame Sitzung" is wrong German
    assert "hiermit lade ich Sie zu folgender Sitzung ein:" in invitation.text
    assert "hiermit lade ich Sie zu folgender Sitzung ein:" in invitation.html
    cancellation = _text(
        mail.cancellation_mail(key="k", recipient="a@b.example", name="Frau A", meeting=info, calendar=b"")
    )
    # Not "die Gemeinsame Sitzung am 28.10.2013 am Montag, 28.10.2013 …": the date once, after the name.
    assert "am 28.10.2013 am" not in cancellation
    assert (
        "folgende Sitzung findet nicht statt: Gemeinsame Sitzung am 28.10.2013 (Montag, 28.10.2013, 17:00 Uhr)."
        in cancellation
    )


def test_the_members_reminder_counts_agenda_items_in_german() -> None:
    assert _agenda_size(1) == "Die Tagesordnung hat einen Punkt."
    assert _agenda_size(7) == "Die Tagesordnung hat 7 Punkte."
    assert _agenda_size(0) == "Die Tagesordnung hat noch keine Punkte."
