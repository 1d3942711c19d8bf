"""Who may do what: the one permission table of the console and the HTTP API.

Roles are cumulative in practice (viewer < operator < supervisor < admin) but the table lists every grant
explicitly, so a reviewer reads one dict instead of an inheritance chain.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    operator = "operator"
    viewer = "viewer"


class Permission(StrEnum):
    view = "view"  # campaigns, results, live calls, call details (numbers masked)
    control_campaigns = "control_campaigns"  # start, pause, resume, stop
    edit_campaigns = "edit_campaigns"  # create, change windows, caps, retry, trunk, caller IDs
    upload_lists = "upload_lists"  # call-list import, push accounts over the API
    manage_dnc = "manage_dnc"  # add, import, remove do-not-call entries
    explain = "explain"  # the policy engine's reasons for one account
    export = "export"  # batch export of call records (recordings only with download_recordings)
    view_audit = "view_audit"
    see_full_numbers = "see_full_numbers"
    download_recordings = "download_recordings"
    manage_users = "manage_users"
    manage_tokens = "manage_tokens"
    manage_webhooks = "manage_webhooks"
    manage_sip = "manage_sip"


P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset({P.view}),
    Role.operator: frozenset({P.view, P.control_campaigns, P.upload_lists, P.manage_dnc, P.explain}),
    Role.supervisor: frozenset(
        {P.view, P.control_campaigns, P.edit_campaigns, P.upload_lists, P.manage_dnc, P.explain, P.export}
        | {P.view_audit}
    ),
    Role.admin: frozenset(Permission),
}


def can(role: str | Role, permission: Permission) -> bool:
    """False for an unknown role: a typo in the database grants nothing."""
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def grants_within(role: str | Role, holder: str | Role) -> bool:
    """Whether everything `role` may do, `holder` may do too (a token's role against its owner's)."""
    try:
        return PERMISSIONS[Role(role)] <= PERMISSIONS[Role(holder)]
    except ValueError:
        return False
