"""Every audit action, as stored in `audit_events.action`. The values are the stored history and what readers
filter on: never rename one; add a member for a new kind of change."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # API applications and their credentials
    APPLICATION_CREATED = "application.created"
    APPLICATION_RENAMED = "application.renamed"
    APPLICATION_PERMISSIONS_CHANGED = "application.permissions_changed"
    APPLICATION_DISABLED = "application.disabled"
    APPLICATION_ENABLED = "application.enabled"
    APPLICATION_RATE_LIMIT_CHANGED = "application.rate_limit_changed"
    SIGNING_KEY_REPLACED = "signing_key.replaced"
    API_KEY_CREATED = "api_key.created"
    API_KEY_GRACE_SET = "api_key.grace_set"
    API_KEY_GRACE_SHORTENED = "api_key.grace_shortened"
    API_KEY_GRACE_ENDED = "api_key.grace_ended"
    API_KEY_REVOKED = "api_key.revoked"
    # Review decisions (review.workflow)
    CUSTOMER_REVIEW = "customer.review"
    BENEFICIARY_REVIEW = "beneficiary.review"
    # Screening dispositions, one per decision a reviewer can take
    SCREENING_MATCH_CLEARED = "screening.match.cleared"
    SCREENING_MATCH_CONFIRMED = "screening.match.confirmed"
    # Documents and support
    DOCUMENT_UPLOADED = "document.uploaded"
    SUPPORT_TICKET_REPLIED = "support.ticket_replied"
    SUPPORT_TICKET_RESOLVED = "support.ticket_resolved"
    # Partner team and account security
    ORGANIZATION_TWO_FACTOR_REQUIREMENT_CHANGED = "organization.two_factor_requirement_changed"
    USER_INVITATION_ACCEPTED = "user.invitation_accepted"
    USER_INVITED = "user.invited"
    USER_INVITE_LINK_ISSUED = "user.invite_link_issued"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an audit action's name, not a password
    USER_RECOVERY_CODES_REPLACED = "user.recovery_codes_replaced"
    USER_REMOVED = "user.removed"
    USER_RESET_LINK_ISSUED = "user.reset_link_issued"
    USER_RESET_LINK_REQUESTED = "user.reset_link_requested"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_SESSION_REVOKED = "user.session_revoked"
    USER_TWO_FACTOR_DISABLED = "user.two_factor_disabled"
    USER_TWO_FACTOR_ENABLED = "user.two_factor_enabled"
    USER_UNLOCKED = "user.unlocked"
    # Webhook endpoints
    WEBHOOK_ENDPOINT_CREATE = "webhook_endpoint.create"
    WEBHOOK_ENDPOINT_DELETE = "webhook_endpoint.delete"
    WEBHOOK_ENDPOINT_DISABLE = "webhook_endpoint.disable"
    WEBHOOK_ENDPOINT_REPLAY = "webhook_endpoint.replay"
    WEBHOOK_ENDPOINT_RESEND = "webhook_endpoint.resend"
    WEBHOOK_ENDPOINT_ROTATE_SECRET = "webhook_endpoint.rotate_secret"  # noqa: S105 - an action name, no secret
    WEBHOOK_ENDPOINT_UPDATE = "webhook_endpoint.update"
