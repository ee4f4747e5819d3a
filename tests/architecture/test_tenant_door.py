"""One tenant door: no organization filter outside `nuvera/tenancy.py`, the admin hub's cross-tenant queries
reachable from the hub alone, and the REST areas' functions given the tenant, not a bare organization id.

Why a test rather than a review rule: an organization filter written inline is one that the next query forgets,
and a forgotten filter is a cross-tenant leak. So `X.organization_id == …` (either side, also `!=`, `in`, `.in_()`,
`filter_by(organization_id=…)`) may appear only in the door and in the one declared admin module; partner-facing
code asks the door (`readable`, `scoped`, `get_owned`, `belongs`). The admin module, which is deliberately not
scoped, may be imported by the admin hub's routes only.

The REST areas' public functions take who they act for (`tenant: Tenant`: the API principal, the signed-in
viewer, or `OrganizationScope(id)` in a job) rather than `organization_id: str`: a bare id invites the caller to
pass any id it holds, and the function to build its own scope and filter; the principal flowing in is what makes
"another organization's row is not found" hold by construction.

Each rule is a small function over source text, so the tests below show it failing on a planted violation before
it passes over the real tree.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import nuvera

ROOT = Path(nuvera.__file__).resolve().parent.parent
DOOR = "nuvera/tenancy.py"
ADMIN_MODULE = "nuvera.web.admin_queries"
# The only files allowed to compare organization ids themselves.
FILTER_ALLOWED = frozenset({DOOR, "nuvera/web/admin_queries.py"})
# The only files allowed to import the cross-tenant admin queries: the staff-only hub routes.
ADMIN_IMPORT_ALLOWED = frozenset({"nuvera/web/admin_queries.py", "nuvera/web/hub.py"})

# The REST areas whose functions must be given the tenant: every module of these packages.
TENANT_AREAS = ("customers", "beneficiaries", "documents", "payments", "support", "screening", "webhooks", "events")
# Public functions of those areas allowed a bare `organization_id: str`, as "file:function" → the reason. Empty:
# the row constructors that need the bare id (`customers.service._person`, `documents.service._new_document`)
# are private helpers, which the rule leaves alone.
BARE_ID_ALLOWED: dict[str, str] = {}

_COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
_SQL_COMPARISONS = frozenset({"in_", "not_in", "notin_", "__eq__", "__ne__", "is_distinct_from", "isnot_distinct_from"})


def _is_organization_id(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "organization_id"


def _is_organizations_key(node: ast.expr) -> bool:
    """`Organization.id`: a join along the foreign key to the organizations table, which narrows nothing."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "id"
        and isinstance(node.value, ast.Name)
        and node.value.id == "Organization"
    )


def tenant_filters(source: str, filename: str = "<planted>") -> list[str]:
    """Every organization comparison in `source`, as `file:line: code`, in source order."""
    found: list[ast.expr] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if (
                any(isinstance(op, _COMPARISONS) for op in node.ops)
                and any(map(_is_organization_id, operands))
                and not any(map(_is_organizations_key, operands))
            ):
                found.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _SQL_COMPARISONS and _is_organization_id(node.func.value):
                found.append(node)  # Model.organization_id.in_(…)
            elif node.func.attr == "filter_by" and any(k.arg == "organization_id" for k in node.keywords):
                found.append(node)
    return _report(source, filename, found)


def _report(source: str, filename: str, nodes: Sequence[ast.stmt | ast.expr]) -> list[str]:
    ordered = sorted(nodes, key=lambda node: (node.lineno, node.col_offset))
    return [f"{filename}:{node.lineno}: {ast.get_source_segment(source, node)}" for node in ordered]


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def admin_imports(source: str, module: str, filename: str = "<planted>") -> list[str]:
    """Every import of the admin queries in `source` (the module `module`), relative imports resolved."""
    package = module.rsplit(".", 1)[0] if not filename.endswith("__init__.py") else module
    found: list[ast.stmt | ast.expr] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            if any(a.name == ADMIN_MODULE or a.name.startswith(ADMIN_MODULE + ".") for a in node.names):
                found.append(node)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            if any(t == ADMIN_MODULE or t.startswith(ADMIN_MODULE + ".") for t in targets):
                found.append(node)
        elif isinstance(node, ast.Constant) and node.value == ADMIN_MODULE:
            found.append(node)  # importlib.import_module("nuvera.web.admin_queries")
    return _report(source, filename, found)


def _names_str(annotation: ast.expr | None) -> bool:
    """`str`, `str | None`, `Optional[str]`, or any of them quoted."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    return any(isinstance(node, ast.Name) and node.id == "str" for node in ast.walk(annotation))


def _public_functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and the methods of module-level classes, by qualified name, if none of the names
    starts with `_` (private helpers, constructors and nested functions are not what callers are handed)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [
                (f"{node.name}.{method.name}", method)
                for method in node.body
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return [(name, function) for name, function in found if not name.split(".")[-1].startswith("_")]


def bare_organization_ids(source: str, filename: str = "<planted>") -> list[str]:
    """Every public function in `source` with a parameter `organization_id` typed `str`, as `file:line: name`."""
    found = []
    for name, function in _public_functions(ast.parse(source, filename)):
        arguments = function.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if argument.arg == "organization_id" and _names_str(argument.annotation):
                found.append(f"{filename}:{argument.lineno}: {name}(organization_id: str)")
    return found


def _sources() -> list[tuple[str, str]]:
    files = sorted((ROOT / "nuvera").rglob("*.py"))
    return [(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in files]


# --- the rules, shown failing on planted violations -----------------------------------------------------------


def test_an_inline_organization_filter_is_reported_on_either_side_and_in_every_form() -> None:
    planted = """
from sqlalchemy import select

def leaky(session, organization_id, ids):
    session.scalar(select(Customer).where(Customer.organization_id == organization_id))
    session.scalar(select(Customer).where(organization_id == Customer.organization_id))
    session.scalar(select(Customer).where(Customer.organization_id != organization_id))
    session.scalar(select(Customer).where(Customer.organization_id.in_(ids)))
    session.query(Customer).filter_by(organization_id=organization_id)
    if customer.organization_id == principal.organization_id:
        return customer
    session.scalar(select(Customer).join(Organization, Organization.id == Customer.organization_id))
"""
    found = tenant_filters(planted)
    assert [line.split(":")[1] for line in found] == ["5", "6", "7", "8", "9", "10"]
    assert "Customer.organization_id == organization_id" in found[0]  # the join on line 12 is no filter


def test_going_through_the_door_is_not_reported() -> None:
    clean = """
def fine(session, tenant, customer_id):
    query = readable(Customer, tenant).where(Customer.id == customer_id)
    row = get_owned(session, Customer, tenant, customer_id)
    if row.organization_id is None or not belongs(row.organization_id, tenant):
        return None
    return Customer(organization_id=tenant.organization_id)
"""
    assert tenant_filters(clean) == []


def test_the_door_itself_holds_the_filter_the_rule_looks_for() -> None:
    """Not vacuous: the checker does see the one real filter, in the door it exempts."""
    sources = dict(_sources())
    assert tenant_filters(sources[DOOR], DOOR)


def test_importing_the_admin_queries_is_reported_in_every_spelling() -> None:
    planted = """
import nuvera.web.admin_queries
import nuvera.web.admin_queries as hub_reads
from nuvera.web import admin_queries
from nuvera.web.admin_queries import hub_counts
from . import admin_queries as q
from .admin_queries import customer
import importlib
importlib.import_module("nuvera.web.admin_queries")
from nuvera.web import rendering
from nuvera.web.hub import router
"""
    found = admin_imports(planted, "nuvera.web.partner_pages")
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5", "6", "7", "9"]
    # A relative import elsewhere names another module and is left alone.
    assert admin_imports("from . import admin_queries", "nuvera.customers.endpoints") == []
    sources = dict(_sources())
    assert admin_imports(sources["nuvera/web/hub.py"], "nuvera.web.hub")  # the hub's own import is seen


def test_a_bare_organization_id_in_a_public_function_is_reported() -> None:
    planted = """
from typing import Optional

def get_customer(session, organization_id: str, customer_id: str): ...
def create_quote(session, *, organization_id: str, quote_id: str): ...
async def latest(session, organization_id: "str | None" = None): ...
def legacy(session, organization_id: Optional[str]): ...
class BeneficiaryOut:
    @classmethod
    def read_all(cls, session, organization_id: str, rows): ...
    def __init__(self, organization_id: str): ...
def get_payment(session, tenant: Tenant, payment_id: str): ...
def _person(organization_id: str, position: int): ...
class _Row:
    def of(self, organization_id: str): ...
def handlers(settings):
    def replay(session, organization_id: str): ...
def count(session, organization_id: int): ...
def disabled_mail(organization: str, endpoint): ...
"""
    found = bare_organization_ids(planted)
    assert [line.split(":", 2)[1:] for line in found] == [
        ["4", " get_customer(organization_id: str)"],
        ["5", " create_quote(organization_id: str)"],
        ["6", " latest(organization_id: str)"],
        ["7", " legacy(organization_id: str)"],
        ["10", " BeneficiaryOut.read_all(organization_id: str)"],
    ]


def test_the_rule_sees_the_areas_private_row_constructors_it_exempts() -> None:
    """Not vacuous: the row constructors keep a bare id, and the rule would report them if they were public."""
    sources = dict(_sources())
    for name, helper in (("nuvera/customers/service.py", "_person"), ("nuvera/documents/service.py", "_new_document")):
        assert f"def {helper}(" in sources[name]
        published = sources[name].replace(f"def {helper}(", f"def {helper.lstrip('_')}(")
        assert bare_organization_ids(published, name) != [], helper


# --- the rules over the real tree -------------------------------------------------------------------------------


def test_no_organization_filter_outside_the_door_and_the_admin_module() -> None:
    sources = _sources()
    assert len(sources) > 100  # the walk really covers the package
    offenders = [hit for name, text in sources if name not in FILTER_ALLOWED for hit in tenant_filters(text, name)]
    assert offenders == [], "filter through nuvera.tenancy (readable / scoped / get_owned / belongs):\n" + "\n".join(
        offenders
    )


def test_only_the_admin_hub_imports_the_cross_tenant_queries() -> None:
    offenders = [
        hit
        for name, text in _sources()
        if name not in ADMIN_IMPORT_ALLOWED
        for hit in admin_imports(text, _module_name(name), name)
    ]
    assert offenders == [], f"{ADMIN_MODULE} is for the staff-only hub (nuvera/web/hub.py) only:\n" + "\n".join(
        offenders
    )


def test_the_rest_areas_are_given_the_tenant_not_a_bare_organization_id() -> None:
    sources = [(name, text) for name, text in _sources() if name.split("/")[1] in TENANT_AREAS]
    assert {name.split("/")[1] for name, _ in sources} == set(TENANT_AREAS)  # every area is really walked
    hits = [hit for name, text in sources for hit in bare_organization_ids(text, name)]
    offenders = [hit for hit in hits if _allow_key(hit) not in BARE_ID_ALLOWED]
    assert offenders == [], "take `tenant: Tenant` (nuvera.tenancy) and pass it to the door:\n" + "\n".join(offenders)
    # An allowance whose function no longer takes a bare id is stale: remove it.
    assert {_allow_key(hit) for hit in hits} >= set(BARE_ID_ALLOWED)


def _allow_key(hit: str) -> str:
    """`nuvera/x/service.py:12: f(organization_id: str)` → `nuvera/x/service.py:f`."""
    filename, _, rest = hit.split(":", 2)
    return f"{filename}:{rest.strip().split('(')[0]}"
