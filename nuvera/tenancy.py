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
from typing import ClassVar, Protocol, Self, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.orm import QueryableAttribute, Session

from nuvera.errors import NotFound


class Tenant(Protocol):
    """Whoever acts for one partner organization."""

    @property
    def organization_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OrganizationScope:
    """A tenant known only by its id (jobs, CLI commands, services handed an id)."""

    organization_id: str


class TenantOwned(Protocol):
    """A mapped class whose rows belong to one organization.

    Declared by the class attributes (`Customer.organization_id`, a column to filter on), not as `Mapped[str]`:
    mypy reads a model's `Mapped[str]` through its descriptor as `str` and would match no model at all.
    """

    organization_id: ClassVar[QueryableAttribute[str]]
    id: ClassVar[QueryableAttribute[str]]


class Statement(Protocol):
    """A statement with a WHERE clause: a SELECT, or an UPDATE or DELETE of tenant rows."""

    def where(self, *whereclause: ColumnElement[bool]) -> Self: ...


Owned = TypeVar("Owned", bound=TenantOwned)
Query = TypeVar("Query", bound=Statement)


def scoped(query: Query, model: type[TenantOwned], tenant: Tenant) -> Query:
    """`query` (over `model`, or columns of it; or an UPDATE/DELETE of `model`) narrowed to the tenant's rows."""
    return query.where(model.organization_id == tenant.organization_id)


def scoped_by_parameter(query: Query, model: type[TenantOwned]) -> Query:
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


def get_owned_or_404(
    session: Session, model: type[Owned], tenant: Tenant, object_id: str, what: str, *, for_update: bool = False
) -> Owned:
    """`get_owned`, raising `NotFound(what)` (404 `not_found`, e.g. "Payment not found") where it finds nothing."""
    found = get_owned(session, model, tenant, object_id, for_update=for_update)
    if found is None:
        raise NotFound(what)
    return found


def belongs(organization_id: str | None, tenant: Tenant) -> bool:
    """Whether something already loaded (a row, a user, an actor) carrying `organization_id` is the tenant's.

    For ownership checks in memory, where no query is left to narrow: the same comparison as `scoped`, so an
    organization check is written here once rather than inline beside each caller.
    """
    return organization_id is not None and organization_id == tenant.organization_id
