"""The one `Actor`: its audit type and its timeline role must agree, and a person acts only for their own
organization."""

from __future__ import annotations

import pytest

from nuvera.audit.actor import Actor, ActorRole, ActorType
from nuvera.organizations.models import Organization, OrganizationKind, User, UserRole


def organization(kind: OrganizationKind) -> Organization:
    return Organization(id=f"org_{kind.value.lower()}", name="Org", kind=kind)


def person(organization_id: str) -> User:
    return User(
        id="usr_1",
        organization_id=organization_id,
        email="ada@example.com",
        role=UserRole.MEMBER,
        first_name="Ada",
        last_name="",
    )


@pytest.mark.parametrize(
    ("type_", "role"),
    [
        ("admin", ActorRole.PARTNER_USER),
        ("user", ActorRole.NUVERA_ADMIN),
        ("operator", ActorRole.NUVERA_ADMIN),
        ("user", ActorRole.NUVERA_OPERATOR),
    ],
)
def test_an_actor_whose_type_and_role_disagree_cannot_exist(type_: ActorType, role: ActorRole) -> None:
    with pytest.raises(ValueError, match="cannot have the timeline role"):
        Actor(type=type_, role=role)


def test_a_user_cannot_act_for_another_organization() -> None:
    partner = organization(OrganizationKind.PARTNER)
    with pytest.raises(ValueError, match="does not belong"):
        Actor.for_user(person("org_elsewhere"), partner)


def test_a_member_of_the_admin_organization_acts_as_a_nuvera_admin_and_others_as_users() -> None:
    admin_org, partner = organization(OrganizationKind.ADMIN), organization(OrganizationKind.PARTNER)
    admin = Actor.for_user(person(admin_org.id), admin_org, reason="support")
    user = Actor.for_user(person(partner.id), partner)
    assert (admin.type, admin.role, admin.reason) == ("admin", ActorRole.NUVERA_ADMIN, "support")
    assert (user.type, user.role, user.organization_kind) == ("user", ActorRole.PARTNER_USER, OrganizationKind.PARTNER)
    # An empty name is no name on the timeline.
    assert (user.first_name, user.last_name, user.member_role) == ("Ada", None, "member")
