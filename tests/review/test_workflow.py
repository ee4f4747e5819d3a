"""The review workflow is written once: one status-change path for every reviewable, used by every caller."""

from __future__ import annotations

import ast
from pathlib import Path

import nuvera
from nuvera.beneficiaries import service as beneficiaries
from nuvera.customers import service as customers
from nuvera.review import workflow
from nuvera.review.workflow import ReviewFlow

PACKAGE = Path(nuvera.__file__).parent
REVIEWABLE = {"Customer", "Beneficiary"}


def _status_assignments(tree: ast.AST) -> list[int]:
    """Lines assigning `<something>.status = …`."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and target.attr == "status"
    ]


def test_a_reviewable_status_changes_in_exactly_one_place() -> None:
    # Event emission and any later side effect of a status change goes into `ReviewFlow.change_status` only.
    # Payments and tickets have statuses of their own; the modules that touch customers or beneficiaries may not
    # assign a status at all.
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        if path == Path(workflow.__file__) or not any(name in source for name in REVIEWABLE):
            continue
        if "payments" in path.parts or "support" in path.parts or "migrations" in path.parts:
            continue
        offenders += [f"{path.relative_to(PACKAGE)}:{line}" for line in _status_assignments(ast.parse(source))]
    assert offenders == []
    assert len(_status_assignments(ast.parse(Path(workflow.__file__).read_text()))) == 1


def test_customers_and_beneficiaries_share_the_workflow() -> None:
    for flow in (customers.REVIEW, beneficiaries.REVIEW):
        assert isinstance(flow, ReviewFlow)
    assert customers.REVIEW.audit_action == "customer.review"
    assert beneficiaries.REVIEW.audit_action == "beneficiary.review"
    # Reached from every status a reviewer can leave; none from a final one.
    assert customers.REVIEW.decisions(customers.S.REJECTED) == frozenset()
    assert beneficiaries.REVIEW.decisions(beneficiaries.S.SUSPENDED) == {
        beneficiaries.S.APPROVED,
        beneficiaries.S.REJECTED,
    }
