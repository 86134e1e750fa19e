"""The files `make load` drops: a deterministic mix of sizes over several sites.

Most are small (a few hundred rows), some a few MB, a few over Wix's 10 MB (those can only be
imported once large files are split into parts; until then they end FILE_TOO_LARGE and the load
reports them as such). Every email carries its file's tag (`c12+load7@example.com`), so a Wix
call that names emails (Search Accounts) can be traced to its file.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from enum import StrEnum

from chaos.stack import UNKNOWN_CONTACT

HEADER = 'Customer Email,Full Name,Points Redeemed,Points Balance\n'
SITE_NAMES = ('shop-a', 'shop-b', 'shop-c', 'shop-d', 'shop-e', 'shop-f', 'shop-g', 'shop-h')
_TAG = re.compile(r'\+(load\d+)@')


class Size(StrEnum):
    SMALL = 'small'
    MEDIUM = 'medium'  # a few MB
    LARGE = 'large'  # over Wix's 10 MB: needs the parts work


@dataclass(frozen=True)
class LoadPlan:
    files: int = 100
    sites: int = 3
    medium_share: float = 0.10
    large_share: float = 0.03  # 0: none (the flag `--no-large`)
    seed: int = 0
    small_rows: tuple[int, int] = (20, 400)
    medium_bytes: tuple[int, int] = (2_000_000, 4_000_000)
    large_bytes: tuple[int, int] = (11_000_000, 13_000_000)

    def __post_init__(self) -> None:
        if not 1 <= self.sites <= len(SITE_NAMES):
            raise ValueError(f'sites must be within [1, {len(SITE_NAMES)}]')
        if self.files < 1 or self.medium_share + self.large_share > 1:
            raise ValueError('at least one file, and shares that add up to at most 1')

    @property
    def site_names(self) -> tuple[str, ...]:
        return SITE_NAMES[: self.sites]


@dataclass(frozen=True)
class LoadFile:
    index: int
    site: str
    size: Size
    content: bytes

    @property
    def tag(self) -> str:
        return f'load{self.index}'

    @property
    def name(self) -> str:
        """Where it is dropped under the incoming prefix: `<site>/load-007.csv`."""
        return f'{self.site}/load-{self.index:03d}.csv'

    @property
    def rows(self) -> int:
        return self.content.count(b'\n') - 1


def tag_of_email(email: str) -> str | None:
    """The file tag an email of a load file carries (None: not one of them, e.g. the ghost)."""
    found = _TAG.search(email)
    return found.group(1) if found else None


def plan_files(plan: LoadPlan) -> list[LoadFile]:
    """The files of a plan, the same for the same plan: sizes shuffled, sites round-robin."""
    rng = random.Random(plan.seed)  # noqa: S311 - a reproducible mix, not a secret
    large = round(plan.files * plan.large_share)
    medium = round(plan.files * plan.medium_share)
    sizes = [Size.LARGE] * large + [Size.MEDIUM] * medium + [Size.SMALL] * (plan.files - large - medium)
    rng.shuffle(sizes)
    sites = plan.site_names
    return [
        LoadFile(index, sites[index % len(sites)], size, _content(rng, plan, size, f'load{index}'))
        for index, size in enumerate(sizes)
    ]


def _content(rng: random.Random, plan: LoadPlan, size: Size, tag: str) -> bytes:
    if size == Size.SMALL:
        rows = rng.randint(*plan.small_rows)
        return _csv(tag, rows, rng.randrange(1_000_000))
    target = rng.randint(*(plan.medium_bytes if size == Size.MEDIUM else plan.large_bytes))
    # ~ (len(row) = 50 bytes): rows for about the target size, then exact enough for the mix.
    rows = target // len(_row(tag, 100_000, 0))
    return _csv(tag, rows, rng.randrange(1_000_000))


def _row(tag: str, index: int, salt: int) -> str:
    return f'c{index}+{tag}@example.com,Customer {index},{(index * 7) % 50},{(index * 31 + salt) % 5000}\n'


def _csv(tag: str, rows: int, salt: int) -> bytes:
    # One address Wix does not know, as in real exports: every import has an error file.
    body = ''.join(_row(tag, index, salt) for index in range(rows - 1))
    return (HEADER + body + f'{UNKNOWN_CONTACT},Ghost Rider,0,5\n').encode()
