"""The one door to tenant data: every partner-facing read and write of an organization's rows goes through here.

Why one door: isolation between partner organizations is the property a partner's security review checks first, and
a filter written inline in twenty places is a filter forgotten in the twenty-first. Here the filter is written
once; an AST test (tests/architecture) fails on an `organization_id ==` comparison anywhere else, so a new query on
tenant data cannot skip it. Another organization's row is simply not found, which the API answers with 404 exactly
as for a missing id (no existence oracle).

The caller passes who it acts for (a `Tenant`: the API principal, a signed-in partner user, or `OrganizationScope`
where only the id is at hand, e.g. in a job). Cross-tenant queries of the admin hub live in one declared module
that partner-facing code may not import; it is the only other place allowed to filter by organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Mapped, Session


class Tenant(Protocol):
    """Whoever acts for one partner organization."""

    @property
    def organization_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OrganizationScope:
    """A tenant known only by its id (jobs, CLI commands, services handed an id)."""

    organization_id: str


class TenantOwned(Protocol):
    """A mapped class whose rows belong to one organization."""

    organization_id: Mapped[str]
    id: Mapped[str]


Owned = TypeVar("Owned", bound=TenantOwned)
Query = TypeVar("Query", bound=Select[Any])


def scoped(query: Query, model: type[TenantOwned], tenant: Tenant) -> Query:
    """`query` (over `model`, or columns of it) narrowed to the tenant's rows."""
    return query.where(model.organization_id == tenant.organization_id)


def scoped_by_parameter(query: Query, model: Any) -> Query:
    """`query` narrowed to the rows of the tenant bound at execution as `tenant_parameters(tenant)`: for statements
    built once at import (a hot list's SELECT of many columns is costly to build on every request)."""
    return query.where(model.organization_id == bindparam(TENANT_PARAMETER))


def tenant_parameters(tenant: Tenant) -> dict[str, str]:
    return {TENANT_PARAMETER: tenant.organization_id}


TENANT_PARAMETER = "tenant_organization_id"


def readable(model: type[Owned], tenant: Tenant) -> Select[Owned]:
    """SELECT of the tenant's rows of `model`; add filters, order and paging to it."""
    return scoped(select(model), model, tenant)


def get_owned(
    session: Session, model: type[Owned], tenant: Tenant, object_id: str, *, for_update: bool = False
) -> Owned | None:
    """The tenant's row with this id, or None — for another organization's id exactly as for a missing one.

    `for_update` locks the row (PostgreSQL) so concurrent changes of one object happen one at a time.
    """
    query = readable(model, tenant).where(model.id == object_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)
