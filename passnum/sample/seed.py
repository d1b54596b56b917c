"""The data set for measuring: ``flask --app passnum seed --scale small|full``.

``full`` is the programme at its real size: 36,000 beneficiaries over four years across
both départements, their booklets (360,000 vouchers), ~60 % of vouchers redeemed within
months of issue, ~2 % of booklets revoked (lost and stolen ones replaced) and the rest
partly expired. ``small`` has the same shape at 1/100 of the size.

Everything is built in memory with precomputed ids and written with bulk inserts in
batches: no ORM object per row and no audit event per row (one ``seed.loaded`` event at
the end). The same ``--seed`` gives the same data set, dated from the day it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, func, select, text

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.services import create_user
from passnum.beneficiaries.models import Beneficiary, beneficiary_priority_publics
from passnum.booklets.models import Booklet, Voucher
from passnum.core.clock import now, today
from passnum.extensions import Base, db
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.redemptions import tallies
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.sample.accounts import enable_sample_second_factor
from passnum.sample.generator import Generator, Progress
from passnum.sample.shapes import DEPARTEMENTS, FULL_BENEFICIARIES
from passnum.venues.models import Venue, Workshop, WorkshopTheme

SEED_PASSWORD = "passnum-seed"  # noqa: S105  (generated data for measuring, documented)
SEED_DOMAIN = "seed.passnum.fr"
SCALES = {"full": FULL_BENEFICIARIES, "small": FULL_BENEFICIARIES // 100}
BATCH = 5000


def _no_progress(_label: str, _done: int, _total: int) -> None:
    """Progress sink when nobody watches."""


class SeedRefused(RuntimeError):
    """The database is not empty."""


INSERT_ORDER: list[type[Base]] = [
    Programme, PriorityPublic, Structure, Venue, WorkshopTheme, Workshop, ProgrammeQuota,
    Allocation, Beneficiary, Booklet, Voucher, Redemption, RedemptionLine]


def _is_empty() -> bool:
    """True when no programme, structure, venue, user or beneficiary exists."""
    return not any(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Programme, Departement, Structure, Venue, User, Beneficiary))


def _create_accounts(dep_ids: dict[str, int]) -> None:
    """Départements first (accounts refer to them), then the admin and managers."""
    admin = create_user(email=f"admin@{SEED_DOMAIN}", password=SEED_PASSWORD,
                        role=Role.ADMIN.value, full_name="Administrateur (données générées)")
    enable_sample_second_factor(admin)
    for code, _name, _target in DEPARTEMENTS:
        manager = create_user(email=f"manager{code}@{SEED_DOMAIN}", password=SEED_PASSWORD,
                              role=Role.MANAGER.value, departement_id=dep_ids[code],
                              full_name=f"Gestionnaire {code}")
        enable_sample_second_factor(manager)


def _bulk_users(gen: Generator) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """One issuer per structure and one agent per venue, sharing the seed password."""
    password_hash = db.session.scalar(
        select(User.password_hash).where(User.email == f"admin@{SEED_DOMAIN}"))
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    users, rows = {}, []
    owners = [("issuer", s, "structure_id") for ids in gen.structures.values() for s in ids]
    owners += [("agent", v, "venue_id") for ids in gen.venues.values() for v in ids]
    for offset, (kind, owner_id, column) in enumerate(owners):
        users[f"{kind}-{owner_id}"] = first_id + offset
        rows.append({
            "id": first_id + offset, "email": f"{kind}-{column[0]}{owner_id}@{SEED_DOMAIN}",
            "full_name": f"{'Travailleur social' if kind == 'issuer' else 'Agent'} {owner_id}",
            "password_hash": password_hash,
            "role": Role.ISSUER.value if kind == "issuer" else Role.VENUE_AGENT.value,
            "departement_id": None, "structure_id": None, "venue_id": None,
            column: owner_id, "is_active_account": True,
            "created_at": gen.at,
        })
    return users, rows


def _sqlite_value(value: Any) -> Any:
    """A Python value as SQLAlchemy stores it in SQLite (naive UTC text for instants)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _insert(model: type[Base] | Table, rows: list[dict[str, Any]],
            advance: Callable[[int], None]) -> None:
    """Bulk insert ``rows`` in batches on the session's connection (same transaction).

    The DBAPI is used directly: COPY on PostgreSQL, ``executemany`` on SQLite. Going
    through SQLAlchemy's per-value processing made loading 360,000 vouchers several
    times slower. Every row of a model carries the same keys.
    """
    if not rows:
        return
    table = model.name if isinstance(model, Table) else model.__table__.name
    columns = list(rows[0])
    names = ", ".join(columns)
    cursor = db.session.connection().connection.cursor()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        if postgres:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row[c] for c in columns])
        else:
            cursor.executemany(statement, [[_sqlite_value(row[c]) for c in columns]
                                           for row in batch])
        advance(len(batch))
    cursor.close()


def _reset_sequences(models: list[type[Base]]) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def seed(*, beneficiaries: int, rng_seed: int = 1,
         progress: Progress = _no_progress) -> dict[str, int]:
    """Generate the data set into an empty database (flushes, never commits).

    ``beneficiaries`` sets the size (36,000 is the real programme); the same
    ``rng_seed`` yields the same data. Raises ``SeedRefused`` on a non-empty database.
    Returns the number of rows written per table.
    """
    if not _is_empty():
        raise SeedRefused("La base contient déjà des données : données générées non chargées. "
                          "Utilisez une base vide.")
    if db.session.get_bind().dialect.name == "sqlite":
        # one large transaction: keep the index pages in memory rather than spill them
        db.session.execute(text("PRAGMA cache_size = -262144"))
    at = now().replace(microsecond=0)
    gen = Generator(beneficiaries, rng_seed, today(), at)
    for code, name, _target in DEPARTEMENTS:
        dep = Departement(code=code, name=name)
        db.session.add(dep)
        db.session.flush()
        gen.dep_ids[code] = dep.id
    gen.build_reference()
    for reference in (Programme, PriorityPublic, Structure, Venue):
        _insert(reference, gen.data.rows.pop(reference), lambda _n: None)
    _create_accounts(gen.dep_ids)
    users, user_rows = _bulk_users(gen)
    _insert(User, user_rows, lambda _n: None)
    gen.build_people(users, progress)
    gen.quotas_and_allocations()
    _create_browsing_accounts(gen, users)
    total = sum(len(gen.data.rows.get(m, [])) for m in INSERT_ORDER)
    for model in INSERT_ORDER:
        _insert(model, gen.data.rows.get(model, []),
                lambda n: progress("Écriture des données", n, total))
    _insert(beneficiary_priority_publics, gen.links, lambda _n: None)
    _reset_sequences([*INSERT_ORDER, User])
    progress("Cumuls du tableau de bord", 0, 1)
    tallies.rebuild()
    progress("Cumuls du tableau de bord", 1, 1)
    counts = {model.__tablename__: len(gen.data.rows.get(model, [])) for model in INSERT_ORDER}
    counts["structures"] = sum(len(ids) for ids in gen.structures.values())
    counts["venues"] = sum(len(ids) for ids in gen.venues.values())
    counts["programmes"] = 1
    counts["users"] = db.session.scalar(select(func.count()).select_from(User)) or 0
    record("seed.loaded", actor_id=None, object_type="programme", object_id=gen.programme_id,
           details={"seed": rng_seed, **counts})
    return counts


def _create_browsing_accounts(gen: Generator, users: dict[str, int]) -> None:
    """Name one issuer and one venue agent per département like the demo does."""
    for code, _name, _target in DEPARTEMENTS:
        aliases = {f"issuer{code}": users[f"issuer-{gen.structures[code][0]}"],
                   f"venue{code}": users[f"agent-{gen.venues[code][0]}"]}
        for alias, user_id in aliases.items():
            db.session.execute(
                User.__table__.update().where(User.id == user_id)
                .values(email=f"{alias}@{SEED_DOMAIN}"))


def seed_accounts() -> list[tuple[str, str]]:
    """The logins of the generated data set and what they are."""
    return [
        (f"admin@{SEED_DOMAIN}", "administrateur du syndicat"),
        (f"manager78@{SEED_DOMAIN}", "gestionnaire DGAS des Yvelines"),
        (f"manager92@{SEED_DOMAIN}", "gestionnaire DGAS des Hauts-de-Seine"),
        (f"issuer78@{SEED_DOMAIN}", "travailleur social d'une structure des Yvelines"),
        (f"issuer92@{SEED_DOMAIN}", "travailleur social d'une structure des Hauts-de-Seine"),
        (f"venue78@{SEED_DOMAIN}", "agent d'un lieu des Yvelines"),
        (f"venue92@{SEED_DOMAIN}", "agent d'un lieu des Hauts-de-Seine"),
    ]
