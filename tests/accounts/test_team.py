"""Team and account security over real HTTP: invitations, roles, removal, unlocking, password reset by mail,
two-factor sign-in and recovery codes, the organization's two-factor requirement, and the user's sessions."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pyotp
from sqlalchemy import select

from nuvera.audit.models import AuditEvent
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, User, UserRole
from tests.accounts.browser import PASSWORD, Browser, SignIn, http_client
from tests.accounts.smtp import MailServer, mail_server, smtp
from tests.harness import Factory, LiveServer, MutableClock

__all__ = ["mail_server", "smtp"]

LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
ISSUED_LINK = re.compile(r'data-link-value[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-link-value')
TOTP_SECRET = re.compile(r"data-totp-secret>([A-Z2-7]+)<")
RECOVERY = re.compile(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>")
NEW_PASSWORD = "a brand new passphrase"
TEAM = "/app/settings/team"
SECURITY = "/app/settings/security"


def form(browser: Browser, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return browser.client.post(path, data={"csrf_token": browser.csrf, **(data or {})})


def user_id(database: Database, email: str) -> str:
    with database.session() as session:
        found = session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def actions(database: Database, subject_id: str) -> list[str]:
    with database.session() as session:
        query = select(AuditEvent.action).where(AuditEvent.subject_id == subject_id).order_by(AuditEvent.created_at)
        return list(session.scalars(query))


def issued_link_path(html: str) -> str:
    match = ISSUED_LINK.search(html)
    assert match is not None, "the one-time link must be shown to the admin who issued it"
    url = (match[1] or match[2]).replace("&amp;", "&")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def set_password(base_url: str, link_path: str, password: str = NEW_PASSWORD) -> httpx.Response:
    with http_client(base_url) as client:
        page = client.get(link_path)
        if page.status_code != 200:
            return page
        match = LOGIN_CSRF.search(page.text)
        assert match is not None
        token = dict(httpx.QueryParams(urlsplit(link_path).query))["token"]
        return client.post(
            "/app/sign-in/set-password",
            data={"token": token, "password": password, "confirm": password, "login_csrf": match[1]},
        )


def json_sign_in(base_url: str, email: str, password: str, code: str | None = None, **kw: str) -> httpx.Response:
    with http_client(base_url, kw.get("local_address")) as client:
        body = {"email": email, "password": password} | ({"oneTimeCode": code} if code is not None else {})
        return client.post("/app/api/session", json=body)


def enrol(browser: Browser, clock: MutableClock) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor authentication on through the security page; the authenticator and the recovery codes."""
    assert form(browser, SECURITY + "/two-factor/start").status_code == 303
    page = browser.get(SECURITY)
    secret = TOTP_SECRET.search(page.text)
    assert secret is not None
    assert "<svg" in page.text
    totp = pyotp.TOTP(secret[1])
    done = form(browser, SECURITY + "/two-factor/confirm", {"code": totp.at(clock())})
    assert done.status_code == 200, done.text
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10
    clock.advance(seconds=30)  # the next code is of a later step (a code is never accepted twice)
    return totp, codes


def test_invite_accept_and_sign_in_with_the_new_role(
    factory: Factory, server: LiveServer, browsers: SignIn, database: Database
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    invitee = f"invitee-{org[-8:]}@example.com"

    answer = form(owner, TEAM + "/invite", {"email": invitee, "role": "admin"})
    assert answer.status_code == 200
    link = issued_link_path(answer.text)
    assert json_sign_in(server.base_url, invitee, "any password at all").status_code == 401  # none set yet
    assert set_password(server.base_url, link).status_code == 303

    signed_in = json_sign_in(server.base_url, invitee, NEW_PASSWORD)
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["role"] == "admin"
    assert set_password(server.base_url, link, "yet another password").status_code == 404  # single use
    assert actions(database, user_id(database, invitee)) == ["user.invited", "user.invitation_accepted"]


def test_an_expired_link_is_refused(
    factory: Factory, server: LiveServer, browsers: SignIn, clock: MutableClock
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    member_email = factory.user(org, UserRole.MEMBER)
    answer = form(owner, f"{TEAM}/{user_id(factory.database, member_email)}/reset-link")
    link = issued_link_path(answer.text)
    clock.advance(hours=1, seconds=1)
    assert set_password(server.base_url, link).status_code == 404
    assert json_sign_in(server.base_url, member_email, PASSWORD).status_code == 200  # the password is unchanged


def test_a_new_link_voids_the_previous_one_and_a_forged_token_is_not_found(
    factory: Factory, server: LiveServer, browsers: SignIn
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    member = user_id(factory.database, factory.user(org, UserRole.MEMBER))
    first = issued_link_path(form(owner, f"{TEAM}/{member}/reset-link").text)
    second = issued_link_path(form(owner, f"{TEAM}/{member}/reset-link").text)
    assert set_password(server.base_url, first).status_code == 404
    assert set_password(server.base_url, "/app/sign-in/set-password?token=nvt_forged").status_code == 404
    assert set_password(server.base_url, "/app/sign-in/set-password?token=").status_code == 404
    assert set_password(server.base_url, second).status_code == 303


def test_the_last_owner_can_be_neither_removed_nor_demoted(
    factory: Factory, server: LiveServer, browsers: SignIn
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner_email = factory.user(org, UserRole.OWNER)
    owner, owner_id = browsers(owner_email), user_id(factory.database, owner_email)
    admin = browsers(factory.user(org, UserRole.ADMIN))

    assert form(owner, f"{TEAM}/{owner_id}/role", {"role": "admin"}).status_code == 409
    assert form(admin, f"{TEAM}/{owner_id}/remove").status_code == 403  # only owners touch owners
    assert form(admin, f"{TEAM}/{owner_id}/role", {"role": "member"}).status_code == 403

    second_email = factory.user(org, UserRole.ADMIN)
    second = user_id(factory.database, second_email)
    assert form(admin, f"{TEAM}/{second}/role", {"role": "owner"}).status_code == 403  # admins cannot make owners
    assert form(owner, f"{TEAM}/{second}/role", {"role": "owner"}).status_code == 303
    assert form(owner, f"{TEAM}/{owner_id}/role", {"role": "admin"}).status_code == 303  # another owner remains
    with factory.database.session() as session:
        assert session.get(User, owner_id).role is UserRole.ADMIN  # type: ignore[union-attr]


def test_a_removed_users_sessions_end_at_once(
    factory: Factory, server: LiveServer, browsers: SignIn, database: Database
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    member_email = factory.user(org, UserRole.MEMBER)
    member = browsers(member_email)
    second_browser = browsers(member_email)
    assert member.get("/app/api/me").status_code == 200
    removed = user_id(database, member_email)

    assert form(owner, f"{TEAM}/{removed}/remove").status_code == 303
    assert member.get("/app/api/me").status_code == 401
    assert second_browser.get("/app/settings/profile", follow_redirects=False).status_code == 303
    assert json_sign_in(server.base_url, member_email, PASSWORD).status_code == 401
    assert actions(database, removed) == ["user.removed"]


def test_a_member_cannot_invite_and_nobody_reaches_another_organizations_team(
    factory: Factory, server: LiveServer, browsers: SignIn
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    member = browsers(factory.user(org, UserRole.MEMBER))
    page = member.get(TEAM)
    assert page.status_code == 200
    assert "data-invite" not in page.text
    assert "read-only access" in page.text
    refused = form(member, TEAM + "/invite", {"email": "nope@example.com", "role": "member"})
    assert refused.status_code == 403

    other_org = factory.organization(OrganizationKind.PARTNER)
    stranger = user_id(factory.database, factory.user(other_org, UserRole.MEMBER))
    owner = browsers(factory.user(org, UserRole.OWNER))
    assert form(owner, f"{TEAM}/{stranger}/remove").status_code == 404
    assert form(owner, f"{TEAM}/{stranger}/unlock").status_code == 404
    # Without the session's CSRF token the form is refused.
    assert owner.client.post(TEAM + "/invite", data={"email": "x@example.com", "role": "member"}).status_code == 403


def test_a_locked_out_member_is_unlocked_by_an_owner(factory: Factory, server: LiveServer, browsers: SignIn) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    member_email = factory.user(org, UserRole.MEMBER)
    for _ in range(5):
        assert json_sign_in(server.base_url, member_email, "wrong", local_address="127.0.17.1").status_code == 401
    assert json_sign_in(server.base_url, member_email, PASSWORD, local_address="127.0.17.2").status_code == 429
    member = user_id(factory.database, member_email)
    assert "Locked out" in owner.get(TEAM).text

    assert form(owner, f"{TEAM}/{member}/unlock").status_code == 303
    assert json_sign_in(server.base_url, member_email, PASSWORD, local_address="127.0.17.2").status_code == 200
    assert actions(factory.database, member) == ["user.unlocked"]


def test_password_reset_by_mail_reveals_nothing_and_ends_sessions(
    factory: Factory, mail_server: LiveServer, smtp: MailServer, database: Database
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    email = factory.user(org, UserRole.MEMBER)
    with http_client(mail_server.base_url) as old_session:
        assert old_session.post("/app/api/session", json={"email": email, "password": PASSWORD}).status_code == 200

        answers = []
        with http_client(mail_server.base_url) as client:
            for address in (email, f"nobody-{org[-8:]}@example.com", "not an email"):
                form_page = client.get("/app/sign-in/reset")
                token = LOGIN_CSRF.search(form_page.text)
                assert token is not None
                answer = client.post("/app/sign-in/reset", data={"email": address, "login_csrf": token[1]})
                answers.append((answer.status_code, answer.text))
        assert answers[0] == answers[1] == answers[2], "the answer must not tell whether the address has an account"
        assert answers[0][0] == 200

        link = smtp.inbox.link_path(email)
        assert [m["To"] for m in smtp.inbox.messages].count(email) == 1
        assert set_password(mail_server.base_url, link).status_code == 303
        assert old_session.get("/app/api/me").status_code == 401  # a reset ends every session
    assert json_sign_in(mail_server.base_url, email, PASSWORD).status_code == 401
    assert json_sign_in(mail_server.base_url, email, NEW_PASSWORD).status_code == 200
    assert actions(database, user_id(database, email)) == ["user.reset_link_requested", "user.password_reset"]


def test_an_invitation_is_mailed_when_smtp_is_configured(
    factory: Factory, mail_server: LiveServer, smtp: MailServer
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner_email = factory.user(org, UserRole.OWNER)
    with http_client(mail_server.base_url) as client:
        me = client.post("/app/api/session", json={"email": owner_email, "password": PASSWORD}).json()
        invitee = f"mailed-{org[-8:]}@example.com"
        answer = client.post(TEAM + "/invite", data={"email": invitee, "role": "member", "csrf_token": me["csrfToken"]})
    assert answer.status_code == 200
    assert "data-link-value" not in answer.text
    assert "was mailed to" in answer.text
    assert "invited to" in smtp.inbox.wait_for(invitee)["Subject"]
    assert set_password(mail_server.base_url, smtp.inbox.link_path(invitee)).status_code == 303


def test_two_factor_sign_in_takes_a_code_once_and_each_recovery_code_once(
    factory: Factory, server: LiveServer, browsers: SignIn, clock: MutableClock, database: Database
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    email = factory.user(org, UserRole.MEMBER)
    totp, codes = enrol(browsers(email), clock)

    without = json_sign_in(server.base_url, email, PASSWORD)
    assert without.status_code == 401
    assert "oneTimeCode" in without.json()["detail"]
    code = totp.at(clock())
    assert json_sign_in(server.base_url, email, PASSWORD, code).status_code == 200
    assert json_sign_in(server.base_url, email, PASSWORD, code).status_code == 401  # the same code again
    assert json_sign_in(server.base_url, email, "wrong", totp.at(clock())).status_code == 401
    assert json_sign_in(server.base_url, email, PASSWORD, codes[0].lower()).status_code == 200
    assert json_sign_in(server.base_url, email, PASSWORD, codes[0]).status_code == 401  # used
    assert "user.two_factor_enabled" in actions(database, user_id(database, email))


def test_an_owner_can_require_two_factor_for_everyone(
    factory: Factory, server: LiveServer, browsers: SignIn, clock: MutableClock
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = browsers(factory.user(org, UserRole.OWNER))
    admin = browsers(factory.user(org, UserRole.ADMIN))
    assert form(owner, TEAM + "/two-factor", {"required": "on"}).status_code == 409  # the owner enrols first
    enrol(owner, clock)
    assert form(admin, TEAM + "/two-factor", {"required": "on"}).status_code == 403  # owners only
    assert form(owner, TEAM + "/two-factor", {"required": "on"}).status_code == 303

    member = browsers(factory.user(org, UserRole.MEMBER))
    sent = member.get(TEAM, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(SECURITY)
    assert member.get(SECURITY).status_code == 200
    assert member.get("/app/api/applications").status_code == 403
    enrol(member, clock)
    assert member.get(TEAM).status_code == 200
    assert member.get("/app/api/applications").status_code != 403


def test_sessions_are_listed_and_one_can_be_ended(factory: Factory, server: LiveServer, browsers: SignIn) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    email = factory.user(org, UserRole.MEMBER)
    here, elsewhere = browsers(email), browsers(email)
    ids = re.findall(r'data-session="([^"]+)"', here.get(SECURITY).text)
    assert len(ids) == 2
    other = [i for i in ids if i != elsewhere_id(elsewhere)]
    assert len(other) == 1
    assert form(here, f"{SECURITY}/sessions/{elsewhere_id(elsewhere)}/revoke").status_code == 303
    assert elsewhere.get("/app/api/me").status_code == 401
    assert here.get("/app/api/me").status_code == 200
    assert form(here, f"{SECURITY}/sessions/wss_not_mine/revoke").status_code == 404


def elsewhere_id(browser: Browser) -> str:
    """The id of the session a browser holds, read from its own security page ("This browser")."""
    text = browser.get(SECURITY).text
    match = re.search(r'data-session="([^"]+)">\s*<td>[^<]*<span class="badge badge-info">This browser', text)
    assert match is not None
    return match[1]
