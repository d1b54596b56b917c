"""Who may call each route: one table for the whole application, checked before every
request; a route missing from it is refused to everyone.

The table decides the role, once, at the edge; views do not decide it again. The
scope (which structure, département or venue a person's data belongs to) is checked by
the services, which every route calls, through the named predicates of
``passnum.auth.scope``; ``scope`` below says which rule applies.
``tests/auth/test_policy_matrix.py`` calls every route of the URL map with every role
and with no one, and fails on a route that is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from passnum.auth.models import Role
from passnum.core.resume import resume_url
from passnum.errors import Forbidden, NotFound, Unauthenticated

ADM, MAN, ISS, AGT = Role.ADMIN, Role.MANAGER, Role.ISSUER, Role.VENUE_AGENT


@dataclass(frozen=True)
class Policy:
    """The roles allowed (``None``: anyone, logged in or not) and the scope rule.

    ``hidden``: other roles get 404, as for an object out of their scope
    (docs/product.md: "an object out of scope answers 404"), so that the answer never
    tells whether an id exists.
    """

    roles: frozenset[str] | None
    scope: str = ""
    hidden: bool = False

    def allows(self, role: str | None) -> bool:
        """True when ``role`` (None: anonymous) may call the route."""
        return self.roles is None or (role is not None and role in self.roles)


def allow(*roles: Role, scope: str = "", hidden: bool = False) -> Policy:
    """A policy for these roles."""
    return Policy(frozenset(str(r) for r in roles), scope, hidden)


def hidden(policy: Policy) -> Policy:
    """``policy``, refusing other roles with 404."""
    return Policy(policy.roles, policy.scope, hidden=True)


PUBLIC = Policy(None, "public: no personal data")
LOGGED_IN = allow(ADM, MAN, ISS, AGT, scope="own account")
PEOPLE = allow(ISS, MAN, ADM, scope="issuer: own structure; manager: own département (read, "
               "override); admin: all")
PEOPLE_WRITE = allow(ISS, ADM, scope="issuer: own structure; admin: all")
# docs/product.md: managers never issue, replace, print stock or hand out
ISSUING = allow(ISS, ADM, scope="issuer: own structure; admin: all")
OVERRIDE = allow(MAN, ADM, scope="manager: own département; admin: all")
VENUE = allow(AGT, ADM, scope="agent: own venue; admin: all")
AGENT = allow(AGT, scope="own venue")
# taking vouchers and undoing: the venue's own agents only (auth.scope.may_redeem_at,
# may_undo_at); administrators do neither
REDEEMING = allow(AGT, scope="own venue (scope.may_redeem_at, scope.may_undo_at)")
STEERING = allow(MAN, ADM, scope="manager: own département; admin: all")
STATEMENTS_READ = allow(MAN, ADM, AGT, scope="manager: paying département; agent: own venue; "
                        "admin: all")
ADMIN = allow(ADM, scope="all")

# endpoint -> policy, or method -> policy where GET and POST differ
POLICIES: dict[str, Policy | dict[str, Policy]] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    # accounts
    "auth.login": PUBLIC, "auth.code": PUBLIC, "auth.activation": PUBLIC,
    "auth.password_forgotten": PUBLIC, "auth.password_reset_link": PUBLIC,
    "auth.password_reset": PUBLIC,
    "auth.logout": LOGGED_IN, "auth.home": LOGGED_IN, "auth.password": LOGGED_IN,
    # public pages
    "venues.public_directory": PUBLIC, "venues.public_venue": PUBLIC,
    # open data of the active venues (passnum.opendata): public by design, no personal data
    "opendata.lieux_csv_file": PUBLIC, "opendata.lieux_json_file": PUBLIC,
    "opendata.data_inclusion_structures": PUBLIC, "opendata.data_inclusion_services": PUBLIC,
    "communes.lookup": PUBLIC,  # reference data for the forms' commune choice
    "venues.labels.apply": PUBLIC, "venues.labels.applied": PUBLIC,
    "redemptions.check_voucher": LOGGED_IN,
    "redemptions.voucher_page": {"GET": PUBLIC, "POST": REDEEMING},
    "redemptions.service_worker": PUBLIC,
    # the stop link of the messages to beneficiaries (a signed token, no personal data)
    "messages_optout.stop": PUBLIC,
    # beneficiaries and booklets
    "beneficiaries.search": PEOPLE, "beneficiaries.detail": PEOPLE,
    "beneficiaries.people_list": PEOPLE,
    "beneficiaries.create": PEOPLE_WRITE, "beneficiaries.edit": PEOPLE_WRITE,
    "beneficiaries.issue": ISSUING,
    "beneficiaries.override_duplicate": OVERRIDE,
    "beneficiaries.override_eligibility": OVERRIDE,
    "beneficiaries.export_json_download": hidden(PEOPLE),
    "beneficiaries.export_pdf_download": hidden(PEOPLE),
    "booklets.detail": PEOPLE, "booklets.pdf": PEOPLE, "booklets.replace": ISSUING,
    "booklets.revoke": PEOPLE, "booklets.stock": {"GET": PEOPLE, "POST": ISSUING},
    "booklets.stock_batch_pdf": ISSUING,
    "booklets.handout_start": ISSUING, "booklets.handout_booklet": ISSUING,
    "booklets.handout_confirm": ISSUING,
    "expiry.expiring": PEOPLE,
    # venues: workshops, redemptions, the venue's own page
    "venues.workshops": VENUE, "venues.workshop": VENUE, "venues.new_workshop": VENUE,
    "venues.edit_workshop": VENUE, "venues.cancel_workshop": VENUE,
    "redemptions.scan": REDEEMING,
    # the first workshop, booked at the desk; cancelled by the desk or the venue
    "venues.bookings.choose": ISSUING,
    "venues.bookings.cancel": allow(ISS, ADM, AGT, scope="issuer: own structure; agent: "
                                    "own venue (scope.may_cancel_booking); admin: all"),
    "history.index": AGENT, "history.find": AGENT, "history.export": AGENT,
    "history.undo_redemption": REDEEMING,
    "venues.labels.my_venue": AGENT, "venues.labels.add_agent": AGENT,
    "venues.labels.toggle_agent": AGENT,
    # the public profile: the venue proposes (scope.can_propose_profile), a manager of
    # its département checks or edits it (scope.can_check_profile)
    "venues.profile.my_profile": AGENT,
    "venues.profile.managed_profile": STEERING, "venues.profile.approve": STEERING,
    "venues.profile.refuse": STEERING,
    # steering: dashboard, allocations, labels, statements
    "dashboard.index": STEERING, "dashboard.export_csv": STEERING,
    "dashboard.export_xlsx": STEERING, "dashboard.report_pdf": STEERING,
    "indicators.index": STEERING, "indicators.export_csv": STEERING,
    "indicators.export_xlsx": STEERING, "indicators.barometer": STEERING,
    "programmes.index": STEERING, "programmes.change": STEERING,
    "expiry.closing": STEERING, "expiry.closing_csv": STEERING,
    "expiry.closing_pdf": STEERING,
    "venues.labels.manage": STEERING, "venues.labels.managed_venue": STEERING,
    "venues.labels.decide": STEERING, "venues.labels.locate_managed_venue": STEERING,
    "venues.labels.complete": STEERING,
    "venues.imports.upload": STEERING, "venues.imports.run": STEERING,
    "statements.index": STATEMENTS_READ, "statements.detail": STATEMENTS_READ,
    "statements.pdf": STATEMENTS_READ, "statements.csv": STATEMENTS_READ,
    "statements.generate": STEERING, "statements.refresh": STEERING,
    "statements.validate": STEERING, "statements.pay": STEERING,
    "statements.archive": STEERING, "statements.add_adjustment": STEERING,
    "statements.finance_export": STEERING,
    # administration
    "programme_admin.index": ADMIN, "programme_admin.edit": ADMIN,
    "programme_admin.quota": ADMIN,
    # the convention's priority publics: managers read them, admins change them
    "programme_admin.priority_publics": {"GET": STEERING, "POST": ADMIN},
    "programme_admin.priority_public": ADMIN, "programme_admin.priority_target": ADMIN,
    "audit.index": ADMIN, "audit.check_chain": ADMIN,
    "messages.index": ADMIN, "messages.retry_message": ADMIN,
    # JSON API
    "api.openapi_endpoint": PUBLIC, "api.create_token_endpoint": PUBLIC,
    "api.check_voucher_endpoint": LOGGED_IN,
    "api.create_beneficiary_endpoint": PEOPLE_WRITE,
    "api.get_beneficiary_endpoint": hidden(PEOPLE),
    "api.export_beneficiary_endpoint": hidden(PEOPLE),
    "api.override_duplicate_endpoint": OVERRIDE,
    "api.issue_booklet_endpoint": ISSUING,  # refused by role, before the body is read
    "api.get_booklet_endpoint": hidden(PEOPLE),
    "api.booklet_pdf_endpoint": hidden(PEOPLE), "api.revoke_booklet_endpoint": hidden(PEOPLE),
    "api.replace_booklet_endpoint": ISSUING,
    "api.create_booking_endpoint": ISSUING,
    "api.cancel_booking_endpoint": hidden(allow(ISS, ADM, AGT, scope="as venues.bookings.cancel")),
    "api.redeem_endpoint": REDEEMING, "api.undo_endpoint": hidden(REDEEMING),
    "api.stats_endpoint": STEERING, "api.indicators_endpoint": STEERING,
    "api.generate_statement_endpoint": STEERING,
    "api.get_statement_endpoint": hidden(STATEMENTS_READ),
    "api.statement_pdf_endpoint": hidden(STATEMENTS_READ),
}


def policy_for(endpoint: str | None, method: str) -> Policy | None:
    """The declared policy of ``endpoint`` for ``method`` (HEAD as GET), or None."""
    declared = POLICIES.get(endpoint or "")
    if isinstance(declared, dict):
        return declared.get("GET" if method == "HEAD" else method)
    return declared


def undeclared(app: Flask) -> list[str]:
    """Every ``endpoint METHOD`` of the URL map without a policy."""
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if policy_for(rule.endpoint, method) is None:
                missing.append(f"{rule.endpoint} {method} {rule.rule}")
    return missing


def enforce() -> ResponseReturnValue | None:
    """Before each request: anonymous callers of a protected route log in (401 for the
    API), others without the role get 403; an undeclared route is refused."""
    if request.method == "OPTIONS" or request.endpoint is None:
        return None  # Flask's automatic answers: 404, 405, OPTIONS
    policy = policy_for(request.endpoint, request.method)
    if policy is None:
        current_app.logger.error("route without policy: %s", request.endpoint)
        raise Forbidden("Accès non autorisé.", code="forbidden")
    if policy.roles is None:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            raise Unauthenticated("Authentification requise.", code="unauthenticated")
        # after a POST (a session that ended while a form was open) back to the form's
        # page, which refills what was typed, never to the POST-only address
        target = (request.full_path.rstrip("?") if request.method in ("GET", "HEAD")
                  else resume_url())
        return redirect(url_for("auth.login", next=target))
    if not policy.allows(current_user.role):
        if policy.hidden:
            raise NotFound("Ressource introuvable.", code="not_found")
        raise Forbidden("Votre rôle ne donne pas accès à cette page.", code="forbidden")
    return None


def install(app: Flask) -> None:
    """Check the policy before every request of ``app``."""
    app.before_request(enforce)
