"""Generate the example municipality files workflow/municipalities/{wetzlar,duisburg,wilhelmshaven}.yaml.

The persons are fictional: names come from fixed name lists drawn with a fixed random seed per city, so the
output is the same on every run. Only persons named in public sources are fixed (Wolfram Dette, Wetzlar).

    .venv/bin/python scripts/generate_municipalities.py           # (re)write the three files
    .venv/bin/python scripts/generate_municipalities.py --check   # exit 1 if a file differs from the output
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

OUT_DIR = Path(__file__).resolve().parent.parent / "workflow" / "municipalities"

# --- name lists -----------------------------------------------------------------------------------------


def names(text: str) -> list[str]:
    return text.split()


MALE = names("""
    Andreas Bernd Björn Christian Detlef Dieter Dirk Frank Frieder Günter Hans-Peter Heiko Helmut Holger
    Horst Jens Jörg Jürgen Kai Karl-Heinz Klaus Lars Manfred Markus Martin Matthias Michael Norbert
    Oliver Peter Rainer Ralf Reinhard Sebastian Stefan Sören Sven Thomas Thorsten Tobias Ulrich Uwe
    Volker Werner Wolfgang Florian Alexander Jan Gerd""")
FEMALE = names("""
    Andrea Anja Anke Annegret Bärbel Birgit Brigitte Christiane Claudia Doris Dörte Elke Gabriele Gisela
    Heike Ingrid Iris Jutta Karin Katrin Kerstin Marion Martina Monika Nicole Petra Renate Sabine Sandra
    Silke Simone Stefanie Susanne Tanja Ulrike Ute Julia Franziska Hannelore Regine""")
FAMILY = names("""
    Albrecht Arnold Bauer Baumann Beck Becker Berger Bergmann Böhm Brandt Braun Busch Dietrich Engel
    Fischer Franke Friedrich Fuchs Graf Groß Günther Haas Hahn Hartmann Heinrich Herrmann Hoffmann
    Hofmann Horn Jäger Jung Kaiser Keller Klein Koch Köhler König Krämer Kraus Krause Krüger Kuhn Kühn
    Lang Lange Lehmann Lorenz Ludwig Maier Meier Meyer Möller Müller Neumann Otto Peters Pfeiffer Pohl
    Richter Roth Sauer Schäfer Schmid Schmidt Schneider Scholz Schreiber Schröder Schubert Schulte
    Schulz Schulze Schumacher Schuster Schwarz Seidel Sommer Stein Vogel Vogt Voigt Wagner Walter Weber
    Weiß Werner Winkler Winter Wolf Wolff Ziegler Zimmermann""")

REGIONAL: dict[str, dict[str, list[str]]] = {
    "hessen": {
        "family": names("Herget Kunz Seibert Dietz Bender Heuser Jost Leicht Wetz Hölzer Reuß Schwalm"),
        "male": names("Hartmut Gerhard Joachim"),
        "female": names("Helga Margarete Waltraud"),
    },
    "nrw": {
        "family": names("""Schmitz Kowalski Nowak Wojcik Terhorst Hüsken Brockhoff Overbeck Kemper Tenbrink
            Kaminski"""),
        "male": names("Heinz-Josef Ludger"),
        "female": names("Marlies Hildegard"),
    },
    "niedersachsen": {
        "family": names("""Janssen Hinrichs Gerdes Ahlers Eilers Harms Oltmanns Cordes Rademacher Tjaden Ihnen
            Wübbena Büsing Lüken"""),
        "male": names("Hauke Enno Tjark Okko Frerk"),
        "female": names("Imke Insa Wiebke Gesche Meike"),
    },
}

# complete names of a second naming tradition, drawn as a whole (given and family name belong together)
PAIRED: dict[str, dict[str, list[str]]] = {
    "nrw": {
        "male": names("Mehmet Hüseyin Murat Cem Ali"),
        "female": names("Ayşe Elif Emine Derya"),
        "family": names("Yılmaz Kaya Demir Öztürk Çelik Aydın Şahin Doğan Yıldız Arslan Koç Kılıç Polat"),
    },
}
PAIRED_SHARE = 0.07

_TRANSLIT = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ş": "s",
        "Ş": "S",
        "ı": "i",
        "ç": "c",
        "Ç": "C",
        "ğ": "g",
        "é": "e",
    }
)


def ascii_of(text: str) -> str:
    return text.translate(_TRANSLIT).lower()


def key_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", ascii_of(text)).strip("_")


# --- model -----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Person:
    given: str
    family: str
    female: bool
    group: str  # heading under which the person is listed
    function: str | None = None
    title: str | None = None
    faction: str | None = None
    key: str = ""
    email: str = ""
    fixed_key: str | None = None
    fixed_email: str | None = None
    committees: int = 0  # regular committee seats so far (to spread them)


@dataclass(eq=False)
class Member:
    person: Person
    role: str = "member"
    faction: str | None = None
    substitute_of: Person | None = None


@dataclass
class Body:
    key: str
    kind: str
    name: str
    short_name: str
    statutory: int
    tags: tuple[str, ...] = ()
    members: list[Member] = field(default_factory=list)

    def regulars(self) -> list[Member]:
        return [m for m in self.members if m.role in ("chair", "deputy_chair", "member")]


@dataclass
class Faction:
    key: str
    name: str
    short: str
    seats: int  # seats in the assembly


def sort_key(p: Person) -> tuple[str, str]:
    return ascii_of(p.family), ascii_of(p.given)


def gendered(pair: tuple[str, str], female: bool) -> str:
    return pair[1] if female else pair[0]


def hare_niemeyer(factions: list[Faction], seats: int) -> dict[str, int]:
    """Seats per faction by largest remainder; ties go to the larger faction, then to the earlier one."""
    total = sum(f.seats for f in factions)
    quotas = {f.key: Fraction(f.seats * seats, total) for f in factions}
    result = {k: int(q) for k, q in quotas.items()}
    rest = seats - sum(result.values())
    order = sorted(
        factions, key=lambda f: (-(quotas[f.key] - int(quotas[f.key])), -f.seats, factions.index(f))
    )
    for f in order[:rest]:
        result[f.key] += 1
    return result


class City:
    def __init__(self, key: str, region: str, domain: str, factions: list[Faction]) -> None:
        self.rng = random.Random(f"gremienlauf-{key}")
        self.region = region
        self.domain = domain
        self.factions = factions
        self.faction_by_key = {f.key: f for f in factions}
        self.persons: list[Person] = []
        self.bodies: list[Body] = []
        self.council: dict[str, list[Person]] = {f.key: [] for f in factions}  # assembly members by faction
        self._names: set[tuple[str, str]] = set()
        self._pools: dict[str, list[str]] = {}

    # persons

    def new_person(
        self,
        group: str,
        function: tuple[str, str] | None = None,
        faction: str | None = None,
        female: bool | None = None,
        female_share: float = 0.38,
        title_share: float = 0.06,
        paired_share: float = PAIRED_SHARE,
    ) -> Person:
        regional = REGIONAL[self.region]
        if female is None:
            female = self.rng.random() < female_share
        gender = "female" if female else "male"
        while True:
            paired = PAIRED.get(self.region)
            if paired and self.rng.random() < paired_share:
                given = self._draw(f"paired-{gender}", paired[gender])
                family = self._draw("paired-family", paired["family"])
            else:
                given = self._draw(gender, (FEMALE if female else MALE) + regional[gender])
                family = self._draw("family", FAMILY + regional["family"])
            if (given, family) not in self._names:
                break
        self._names.add((given, family))
        person = Person(
            given=given,
            family=family,
            female=female,
            group=group,
            faction=faction,
            function=gendered(function, female) if function else None,
            title="Dr." if self.rng.random() < title_share else None,
        )
        self.persons.append(person)
        return person

    def _draw(self, pool: str, names: list[str]) -> str:
        """Draw every name of a list once (in random order) before any is drawn again."""
        if not self._pools.get(pool):
            self._pools[pool] = sorted(set(names))
            self.rng.shuffle(self._pools[pool])
        return self._pools[pool].pop()

    def fixed_person(
        self, key: str, given: str, family: str, female: bool, group: str, function: str
    ) -> Person:
        self._names.add((given, family))
        person = Person(
            given=given, family=family, female=female, group=group, function=function, fixed_key=key
        )
        self.persons.append(person)
        return person

    def assign_keys(self) -> None:
        families = Counter(ascii_of(p.family) for p in self.persons if not p.fixed_key)
        used: set[str] = {p.fixed_key for p in self.persons if p.fixed_key}
        for p in self.persons:
            if p.fixed_key:
                p.key = p.fixed_key
                continue
            base = key_of(p.family)
            unique = families[ascii_of(p.family)] == 1 and base not in used
            key = base if unique else f"{base}_{key_of(p.given)}"
            assert key not in used, key
            used.add(key)
            p.key = key
        short = Counter(f"{ascii_of(p.given)[0]}.{key_of(p.family)}" for p in self.persons)
        for p in self.persons:
            local = f"{ascii_of(p.given)[0]}.{key_of(p.family)}"
            if short[local] > 1:
                local = f"{ascii_of(p.given)}.{key_of(p.family)}"
            p.email = f"{local.replace('_', '-')}@{self.domain}"
        emails = Counter(p.email for p in self.persons)
        assert all(n == 1 for n in emails.values()), emails.most_common(3)

    # bodies

    def _pick(self, pool: list[Person], n: int, exclude: set[Person]) -> list[Person]:
        candidates = [p for p in pool if p not in exclude]
        self.rng.shuffle(candidates)
        candidates.sort(key=lambda p: p.committees)  # stable: fewest seats first, random among equals
        if len(candidates) < n:
            raise ValueError(f"not enough persons: {n} wanted, {len(candidates)} available")
        return candidates[:n]

    def add_assembly(
        self,
        body: Body,
        member_function: tuple[str, str],
        chair_faction: str,
        chair_function: tuple[str, str],
        deputy_faction: str,
        deputy_function: tuple[str, str],
        head: Person | None,
        head_is_chair: bool,
        substitutes: int,
        chair_female: bool | None = None,
    ) -> None:
        """Create the assembly members faction by faction; the first of the chair's and the deputy's
        faction take the offices."""
        for f in self.factions:
            for i in range(f.seats):
                female = chair_female if f.key == chair_faction and i == 0 and not head_is_chair else None
                self.council[f.key].append(self.new_person(f.name, member_function, f.key, female=female))
        chair = None if head_is_chair else self.council[chair_faction][0]
        if chair is not None:
            chair.function = gendered(chair_function, chair.female)
        same = chair is not None and deputy_faction == chair_faction
        deputy = self.council[deputy_faction][1 if same else 0]
        deputy.function = gendered(deputy_function, deputy.female)
        if head is not None:
            body.members.append(Member(head, "chair" if head_is_chair else "member"))
        if chair is not None:
            body.members.insert(0, Member(chair, "chair", chair_faction))
        body.members.insert(1, Member(deputy, "deputy_chair", deputy_faction))
        for f in self.factions:
            for p in sorted(self.council[f.key], key=sort_key):
                if p not in (chair, deputy):
                    body.members.append(Member(p, "member", f.key))
        # Nachrücker: next on the faction's list, standing in for a member
        order = sorted(self.factions, key=lambda f: -f.seats)
        for i in range(substitutes):
            f = order[i % len(order)]
            person = self.new_person(
                "Nachrückerinnen und Nachrücker", ("Nachrücker", "Nachrückerin"), faction=f.key
            )
            taken = {m.substitute_of for m in body.members}
            of = self.rng.choice(
                [m.person for m in body.regulars() if m.faction == f.key and m.person not in taken]
            )
            body.members.append(Member(person, "substitute", f.key, of))
        self._check_full(body)
        self.bodies.append(body)

    def add_committee(
        self,
        body: Body,
        chair: str,
        deputy: str,
        head: Person | None = None,
        exclude: tuple[Person, ...] = (),
        citizens: bool = False,
        extra_advisory: tuple[tuple[str, str, float], ...] = (),
        substitutes: int = 4,
    ) -> None:
        """chair / deputy: a faction key, or 'head' for the (Ober)bürgermeister.

        extra_advisory: (function male, function female, share of names from the second naming tradition).
        """
        seats = body.statutory - (1 if chair == "head" else 0)
        share = hare_niemeyer(self.factions, seats)
        taken: set[Person] = set(exclude)
        by_faction: dict[str, list[Member]] = {}
        for f in self.factions:
            k = share[f.key]
            n_citizens = k // 3 if citizens else 0
            chosen = self._pick(self.council[f.key], k - n_citizens, taken)
            members = [Member(p, "member", f.key) for p in chosen]
            for _ in range(n_citizens):
                p = self.new_person(
                    "Sachkundige Bürgerinnen und Bürger",
                    ("Sachkundiger Bürger", "Sachkundige Bürgerin"),
                    faction=f.key,
                )
                members.append(Member(p, "member", f.key))
            for m in members:
                m.person.committees += 1
                taken.add(m.person)
            by_faction[f.key] = members
        offices: list[Member] = []
        for role, who in (("chair", chair), ("deputy_chair", deputy)):
            if who == "head":
                assert head is not None
                offices.append(Member(head, role))
            else:
                # the first council member of that faction not already holding an office (never a citizen)
                m = next(m for m in by_faction[who] if m.person in self.council[who] and m.role == "member")
                m.role = role
                by_faction[who].remove(m)
                offices.append(m)
        body.members.extend(offices)
        for f in self.factions:
            body.members.extend(sorted(by_faction[f.key], key=lambda m: sort_key(m.person)))
        # factions without a seat send a member with advisory vote
        # (§ 62 IV HGO, § 58 I GO NRW, § 71 IV NKomVG)
        for f in self.factions:
            if share[f.key] == 0:
                (p,) = self._pick(self.council[f.key], 1, taken)
                taken.add(p)
                body.members.append(Member(p, "advisory", f.key))
        for male, female, paired_share in extra_advisory:
            person = self.new_person("Beratende Mitglieder", (male, female), paired_share=paired_share)
            body.members.append(Member(person, "advisory"))
        # substitutes: council members of the same faction who are not in this body
        factions = sorted([f for f in self.factions if share[f.key]], key=lambda f: -share[f.key])
        substituted: set[Person] = set()
        for i in range(substitutes):
            f = factions[i % len(factions)]
            regulars = [
                m.person for m in body.regulars() if m.faction == f.key and m.person not in substituted
            ]
            of = self.rng.choice(regulars)
            substituted.add(of)
            (p,) = self._pick(self.council[f.key], 1, taken)
            taken.add(p)
            body.members.append(Member(p, "substitute", f.key, of))
        self._check_full(body)
        self.bodies.append(body)

    @staticmethod
    def _check_full(body: Body) -> None:
        n = len(body.regulars())
        assert n == body.statutory, f"{body.key}: {n} regular members, statutory {body.statutory}"
        persons = [m.person for m in body.members]
        assert len(persons) == len(set(persons)), f"{body.key}: a person twice"


# --- output ----------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[^\W_][\w .@/()-]*$")
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | dt.date):
        return str(value)
    text = str(value)
    if (
        _PLAIN.match(text)
        and text.lower() not in _RESERVED
        and not text.endswith(" ")
        and not re.fullmatch(r"[\d.:-]+", text)
    ):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow(items: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in items.items() if v is not None) + "}"


@dataclass
class CityFile:
    city: City
    header: list[str]
    municipality: dict[str, str]
    term_start: dt.date
    departments: list[dict[str, str]]
    # The Geschäftsordnung's notice periods (required where the state's law sets none, as in NRW):
    # comment lines, then the rules by name (regular, urgent, second_session) and receipt lags.
    notice: tuple[list[str], dict[str, dict[str, Any]], dict[str, int]] | None = None
    # The public portal's texts (``municipality.portal``), as YAML lines under the municipality.
    portal: list[str] | None = None


def render(spec: CityFile) -> str:
    city = spec.city
    city.assign_keys()
    out = [f"# {line}".rstrip() for line in spec.header]
    if spec.portal is None:
        out.append(f"municipality: {flow(spec.municipality)}")
    else:
        out.append("municipality:")
        out += [f"  {key}: {scalar(value)}" for key, value in spec.municipality.items()]
        out += [f"  {line}".rstrip() for line in spec.portal]
    out.append(f"term_start: {spec.term_start.isoformat()}")
    if spec.notice is not None:
        comments, rules, lags = spec.notice
        out += ["", *(f"# {line}".rstrip() for line in comments), "notice:"]
        out += [f"  {name}: {flow(rule)}" for name, rule in rules.items()]
        out.append(f"  receipt_lag_days: {flow(lags)}")
    out += ["", "departments:"]
    out += [f"  - {flow(d)}" for d in spec.departments]
    out += ["", "factions:"]
    out += [f"  - {flow({'key': f.key, 'name': f.name, 'short_name': f.short})}" for f in city.factions]
    out += ["", "persons:"]
    groups: dict[str, list[Person]] = {}
    for p in city.persons:
        groups.setdefault(p.group, []).append(p)
    for group, persons in groups.items():
        out.append(f"  # {group}")
        if group != "Verwaltung":
            persons = sorted(persons, key=sort_key)
        for p in persons:
            out.append(
                "  - "
                + flow(
                    {
                        "key": p.key,
                        "given_name": p.given,
                        "family_name": p.family,
                        "title": p.title,
                        "function": p.function,
                        "email": p.email,
                    }
                )
            )
    out += ["", "bodies:"]
    for body in city.bodies:
        out += [
            f"  - key: {body.key}",
            f"    kind: {body.kind}",
            f"    name: {scalar(body.name)}",
            f"    short_name: {scalar(body.short_name)}",
            f"    statutory_members: {body.statutory}",
        ]
        if body.tags:
            out.append(f"    tags: [{', '.join(body.tags)}]")
        out.append("    members:")
        previous = ""
        for m in body.members:
            if m.role != previous and m.role in ("advisory", "substitute"):
                out.append("      # " + ("beratend" if m.role == "advisory" else "Vertretungen"))
            previous = m.role
            out.append(
                "      - "
                + flow(
                    {
                        "person": m.person.key,
                        "role": None if m.role == "member" else m.role,
                        "faction": m.faction,
                        "substitute_of": m.substitute_of.key if m.substitute_of else None,
                    }
                )
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def header(lines: list[str], named: str = "") -> list[str]:
    text = (
        f"All persons are fictional{' except ' + named if named else ''}. Names, seat shares and "
        "memberships are generated by scripts/generate_municipalities.py with a fixed seed; e-mail "
        "addresses use the reserved .example domain."
    )
    return [*lines, *textwrap.wrap(text, 100), ""]


# --- the three cities ------------------------------------------------------------------------------------


def wetzlar() -> CityFile:
    city = City(
        "wetzlar",
        "hessen",
        "wetzlar.example",
        [
            Faction("spd", "SPD-Fraktion", "SPD", 19),
            Faction("cdu", "CDU-Fraktion", "CDU", 19),
            Faction("gruene", "Fraktion Bündnis 90/Die Grünen", "Grüne", 10),
            Faction("fw", "Fraktion Freie Wähler", "FW", 5),
            Faction("fdp", "FDP-Fraktion", "FDP", 3),
            Faction("linke", "Fraktion Die Linke", "Linke", 3),
        ],
    )
    dette = city.fixed_person("dette", "Wolfram", "Dette", False, "Verwaltung", "Oberbürgermeister")
    mayor = city.new_person("Verwaltung", ("Bürgermeister", "Bürgermeisterin"))
    for function in (
        ("Leiter des Koordinationsbüros", "Leiterin des Koordinationsbüros"),
        ("Leiter der Kämmerei", "Leiterin der Kämmerei"),
        ("Leiter des Rechtsamts", "Leiterin des Rechtsamts"),
        ("Leiter des Haupt- und Personalamts", "Leiterin des Haupt- und Personalamts"),
    ):
        city.new_person("Verwaltung", function, female_share=0.5)
    stvv = Body("stvv", "assembly", "Stadtverordnetenversammlung", "StVV", 59)
    city.add_assembly(
        stvv,
        ("Stadtverordneter", "Stadtverordnete"),
        "spd",
        ("Stadtverordnetenvorsteher", "Stadtverordnetenvorsteherin"),
        "cdu",
        ("Stellvertretender Stadtverordnetenvorsteher", "Stellvertretende Stadtverordnetenvorsteherin"),
        head=None,
        head_is_chair=False,
        substitutes=4,
        chair_female=False,
    )
    # Magistrat: Oberbürgermeister, hauptamtlicher Bürgermeister, ehrenamtliche Stadträte (§ 65 HGO:
    # not members of the Stadtverordnetenversammlung)
    magistrat = Body("magistrat", "executive", "Magistrat", "Mag", 12)
    magistrat.members += [Member(dette, "chair"), Member(mayor, "deputy_chair")]
    for f_key, n in hare_niemeyer(city.factions, 10).items():
        stadtraete = [
            city.new_person(
                "Magistrat (ehrenamtliche Stadträtinnen und Stadträte)",
                ("Stadtrat", "Stadträtin"),
                faction=f_key,
            )
            for _ in range(n)
        ]
        magistrat.members += [Member(p, "member", f_key) for p in sorted(stadtraete, key=sort_key)]
    city._check_full(magistrat)
    city.bodies.insert(0, magistrat)
    chair = city.council["spd"][0]  # the Vorsteher sits in no committee
    for key, name, short, c, d, n in (
        ("sjs", "Sozial-, Jugend- und Sportausschuss", "SJS", "spd", "cdu", 4),
        ("kfp", "Kultur-, Freizeit- und Partnerschaftsausschuss", "KFP", "cdu", "gruene", 3),
        ("fwa", "Finanz- und Wirtschaftsausschuss", "FWA", "cdu", "spd", 5),
    ):
        body = Body(key, "committee", name, short, 13, tags=("finance",) if key == "fwa" else ())
        city.add_committee(body, c, d, exclude=(chair,), substitutes=n)
    city.bodies.append(city.bodies.pop(1))  # order: Magistrat, committees, StVV
    return CityFile(
        city,
        header(
            [
                "Example municipality: Stadt Wetzlar (Hessen, HGO), term from 1 April 2011.",
                "Departments and bodies as named in a Vorlage of the Stadt Wetzlar (2013).",
            ],
            "Oberbürgermeister Wolfram Dette (named in that Vorlage)",
        ),
        {
            "key": "wetzlar",
            "name": "Stadt Wetzlar",
            "short_name": "Wetzlar",
            "profile": "hessen",
            "website": "https://www.wetzlar.de",
        },
        dt.date(2011, 4, 1),
        [
            {
                "key": "kbs",
                "name": "Koordinationsbüro für Sozialplanung, Jugendförderung und Projektmanagement",
                "short_name": "Koordinationsbüro",
                "email": "koordinationsbuero@wetzlar.example",
            },
            {
                "key": "kaemmerei",
                "name": "Kämmerei / Finanzverwaltung",
                "short_name": "Kämmerei",
                "email": "kaemmerei@wetzlar.example",
            },
            {
                "key": "rechtsamt",
                "name": "Rechtsamt",
                "short_name": "Rechtsamt",
                "email": "rechtsamt@wetzlar.example",
            },
            {
                "key": "hauptamt",
                "name": "Haupt- und Personalamt",
                "short_name": "Hauptamt",
                "email": "hauptamt@wetzlar.example",
            },
        ],
        portal=[
            "# The public portal's texts. Beispieltexte: vor dem Echtbetrieb durch die Angaben der Stadt ersetzen.",
            "# Datenschutz (privacy) and Gebärdensprache (sign_language_url, sign_language_text) are left unset here:",
            "# their pages then say that the municipality has not set them yet.",
            "portal:",
            "  impressum: |",
            "    Beispieltext – die Stadt ersetzt ihn vor dem Echtbetrieb durch ihre Angaben.",
            "",
            "    Anbieter: Magistrat der Stadt Wetzlar, vertreten durch den Oberbürgermeister.",
            "    Anschrift, Telefon und E-Mail-Adresse des Sitzungsdienstes stehen hier.",
            "    Zuständige Aufsichtsbehörde: Regierungspräsidium Gießen.",
        ],
    )


def duisburg() -> CityFile:
    city = City(
        "duisburg",
        "nrw",
        "duisburg.example",
        [
            Faction("spd", "SPD-Fraktion", "SPD", 31),
            Faction("cdu", "CDU-Fraktion", "CDU", 28),
            Faction("gruene", "Fraktion Bündnis 90/Die Grünen", "Grüne", 9),
            Faction("fdp", "FDP-Fraktion", "FDP", 3),
            Faction("linke", "Fraktion Die Linke", "Linke", 3),
        ],
    )
    ob = city.new_person("Verwaltung", ("Oberbürgermeister", "Oberbürgermeisterin"), female=False)
    for function in (
        ("Leiter des Referats für Integration", "Leiterin des Referats für Integration"),
        ("Stadtkämmerer", "Stadtkämmerin"),
        ("Leiter des Rechtsamts", "Leiterin des Rechtsamts"),
    ):
        city.new_person("Verwaltung", function, female_share=0.5)
    # NRW: the Oberbürgermeister chairs the Rat and counts among its members (§ 40 II GO NRW)
    rat = Body("rat", "assembly", "Rat der Stadt Duisburg", "Rat", 75)
    city.add_assembly(
        rat,
        ("Ratsmitglied", "Ratsmitglied"),
        "spd",
        ("", ""),
        "spd",
        ("Bürgermeister", "Bürgermeisterin"),
        head=ob,
        head_is_chair=True,
        substitutes=5,
    )
    hfa = Body("hfa", "main_committee", "Haupt- und Finanzausschuss", "HFA", 19)
    city.add_committee(hfa, "head", "spd", head=ob, substitutes=6)
    soziales = Body("soziales", "committee", "Ausschuss für Soziales, Integration und Gesundheit", "ASIG", 17)
    city.add_committee(
        soziales,
        "spd",
        "cdu",
        citizens=True,
        substitutes=5,
        extra_advisory=(("Vertreter des Integrationsrates", "Vertreterin des Integrationsrates", 1.0),),
    )
    schule = Body("schule", "committee", "Schulausschuss", "SchA", 15)
    city.add_committee(
        schule,
        "cdu",
        "spd",
        citizens=True,
        substitutes=4,
        extra_advisory=(
            ("Vertreter der Evangelischen Kirche", "Vertreterin der Evangelischen Kirche", 0.0),
            ("Vertreter des Bistums Essen", "Vertreterin des Bistums Essen", 0.0),
        ),
    )
    city.bodies.append(city.bodies.pop(0))  # order: committees, Rat
    return CityFile(
        city,
        header(
            [
                "Example municipality: Stadt Duisburg (Nordrhein-Westfalen, GO NRW),"
                " term from 1 October 2004.",
                "Seed paper: a resolution of the Rat der Stadt Duisburg of 12 March 2007.",
            ]
        ),
        {
            "key": "duisburg",
            "name": "Stadt Duisburg",
            "short_name": "Duisburg",
            "profile": "nrw",
            "website": "https://www.duisburg.de",
        },
        dt.date(2004, 10, 1),
        [
            {
                "key": "integration",
                "name": "Referat für Integration",
                "short_name": "Integration",
                "email": "integration@duisburg.example",
            },
            {
                "key": "kaemmerei",
                "name": "Stadtkämmerei",
                "short_name": "Kämmerei",
                "email": "kaemmerei@duisburg.example",
            },
            {
                "key": "rechtsamt",
                "name": "Rechtsamt",
                "short_name": "Rechtsamt",
                "email": "rechtsamt@duisburg.example",
            },
        ],
        (
            textwrap.wrap(
                "Ladungsfrist: Die GO NRW bestimmt keine; sie steht in der Geschäftsordnung des Rates. "
                "Die Werte hier sind Beispielwerte (8 volle Tage ab Absendung und dringlich 48 Stunden wie in Wesel); vor "
                "dem Echtbetrieb mit der geltenden Geschäftsordnung abgleichen und die Fundstelle eintragen.",
                100,
            ),
            {
                name: {
                    "reference": "dispatch",
                    "counting": counting,
                    "amount": amount,
                    "legal_basis": "Geschäftsordnung für den Rat der Stadt Duisburg",
                    "text_checked": False,
                    "note": "Beispielwert; die Duisburger Geschäftsordnung wurde nicht eingesehen",
                }
                for name, counting, amount in (
                    ("regular", "full_days_between", 8),
                    ("urgent", "hours_before_start", 48),
                    ("second_session", "hours_before_start", 48),
                )
            },
            {"email": 0, "post": 0, "portal": 0},
        ),
    )


def wilhelmshaven() -> CityFile:
    city = City(
        "wilhelmshaven",
        "niedersachsen",
        "wilhelmshaven.example",
        [
            Faction("spd", "SPD-Fraktion", "SPD", 15),
            Faction("cdu", "CDU-Fraktion", "CDU", 12),
            Faction("gruene", "Fraktion Bündnis 90/Die Grünen", "Grüne", 7),
            Faction("fw", "Fraktion Freie Wähler", "FW", 4),
            Faction("fdp", "FDP-Fraktion", "FDP", 3),
            Faction("linke", "Fraktion Die Linke", "Linke", 3),
        ],
    )
    ob = city.new_person("Verwaltung", ("Oberbürgermeister", "Oberbürgermeisterin"), female=False)
    for function in (
        ("Leiter des Migrationsbüros", "Leiterin des Migrationsbüros"),
        ("Stadtkämmerer", "Stadtkämmerin"),
        ("Leiter des Rechtsamts", "Leiterin des Rechtsamts"),
    ):
        city.new_person("Verwaltung", function, female_share=0.5)
    # Niedersachsen: the Oberbürgermeister is a voting member of the Rat (§ 45 NKomVG), which elects its
    # own chair from among the councillors (§ 61 NKomVG)
    rat = Body("rat", "assembly", "Rat der Stadt Wilhelmshaven", "Rat", 45)
    city.add_assembly(
        rat,
        ("Ratsherr", "Ratsfrau"),
        "spd",
        ("Ratsvorsitzender", "Ratsvorsitzende"),
        "cdu",
        ("Stellvertretender Ratsvorsitzender", "Stellvertretende Ratsvorsitzende"),
        head=ob,
        head_is_chair=False,
        substitutes=4,
        chair_female=True,
    )
    chair = city.council["spd"][0]
    va = Body("va", "main_committee", "Verwaltungsausschuss", "VA", 11)  # OB + 10 Beigeordnete (§ 74 NKomVG)
    city.add_committee(va, "head", "spd", head=ob, exclude=(chair,), substitutes=4)
    soziales = Body("soziales", "committee", "Ausschuss für Soziales, Integration und Gesundheit", "ASIG", 13)
    city.add_committee(
        soziales,
        "spd",
        "gruene",
        exclude=(chair,),
        substitutes=4,
        extra_advisory=(("Vertreter der Wohlfahrtsverbände", "Vertreterin der Wohlfahrtsverbände", 0.0),),
    )
    bauen = Body("bauen", "committee", "Bau- und Umweltausschuss", "BUA", 13)
    city.add_committee(bauen, "cdu", "spd", exclude=(chair,), substitutes=3)
    city.bodies.append(city.bodies.pop(0))  # order: committees, Rat
    return CityFile(
        city,
        header(
            ["Example municipality: Stadt Wilhelmshaven (Niedersachsen, NKomVG), term from 1 November 2021."]
        ),
        {
            "key": "wilhelmshaven",
            "name": "Stadt Wilhelmshaven",
            "short_name": "Wilhelmshaven",
            "profile": "niedersachsen",
            "website": "https://www.wilhelmshaven.de",
        },
        dt.date(2021, 11, 1),
        [
            {
                "key": "migration",
                "name": "Migrationsbüro",
                "short_name": "Migrationsbüro",
                "email": "migrationsbuero@wilhelmshaven.example",
            },
            {
                "key": "kaemmerei",
                "name": "Kämmerei",
                "short_name": "Kämmerei",
                "email": "kaemmerei@wilhelmshaven.example",
            },
            {
                "key": "rechtsamt",
                "name": "Rechtsamt",
                "short_name": "Rechtsamt",
                "email": "rechtsamt@wilhelmshaven.example",
            },
        ],
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    status = 0
    for name, build in (("wetzlar", wetzlar), ("duisburg", duisburg), ("wilhelmshaven", wilhelmshaven)):
        text = render(build())
        yaml.safe_load(text)  # must parse
        path = OUT_DIR / f"{name}.yaml"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is not up to date", file=sys.stderr)
                status = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
