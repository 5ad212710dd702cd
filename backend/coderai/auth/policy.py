"""Who may call what: one table from operation id to what the caller needs. `authorise` reads
it for every request, the access-matrix test reads it for every operation in the OpenAPI
document, and the app refuses to start with a route the table does not name.

A project role means: the caller must be a member of the project the path names (directly, or
through the variable, document, job, extraction or prompt it names) with at least that role.
Non-members get 404, as if the project did not exist; members with a lesser role get 403.
Instance admins pass every check.
"""

from enum import StrEnum

from coderai.models.enums import ProjectRole


class Access(StrEnum):
    PUBLIC = "PUBLIC"  # anyone, signed in or not
    AUTHENTICATED = "AUTHENTICATED"  # any signed-in account
    ADMIN = "ADMIN"  # instance admins only
    METRICS = "METRICS"  # the metrics token, or a client in METRICS_ALLOW_NETWORKS


Requirement = Access | ProjectRole

VIEWER, CODER, EDITOR, OWNER = (
    ProjectRole.VIEWER,
    ProjectRole.CODER,
    ProjectRole.EDITOR,
    ProjectRole.OWNER,
)

POLICY: dict[str, Requirement] = {
    # health, first run, sign-in, and the signed export links (capabilities)
    "health-get": Access.PUBLIC,
    "health-live": Access.PUBLIC,
    "health-ready": Access.PUBLIC,
    "auth-setup-status": Access.PUBLIC,
    "auth-setup": Access.PUBLIC,
    "auth-login": Access.PUBLIC,
    "exports-download": Access.PUBLIC,
    # the Prometheus scraper (no account: a token of its own, or a trusted network)
    "metrics-get": Access.METRICS,
    # the caller's own account
    "auth-logout": Access.AUTHENTICATED,
    "auth-me": Access.AUTHENTICATED,
    "auth-tokens-list": Access.AUTHENTICATED,
    "auth-tokens-create": Access.AUTHENTICATED,
    "auth-tokens-revoke": Access.AUTHENTICATED,
    "projects-list": Access.AUTHENTICATED,  # lists only the caller's projects
    "projects-create": Access.AUTHENTICATED,  # the creator becomes its OWNER
    # the instance
    "users-list": Access.ADMIN,
    "users-create": Access.ADMIN,
    "activity-list": Access.ADMIN,
    # projects and their members
    "projects-get": VIEWER,
    "projects-update": EDITOR,
    "projects-delete": OWNER,
    "projects-schema-export": VIEWER,
    "projects-schema-import": EDITOR,
    "projects-activity": VIEWER,
    "members-list": VIEWER,
    "members-add": OWNER,
    "members-update": OWNER,
    "members-remove": OWNER,
    # schema and prompts
    "variables-list": VIEWER,
    "variables-create": EDITOR,
    "variables-reorder": EDITOR,
    "variables-get": VIEWER,
    "variables-update": EDITOR,
    "variables-delete": EDITOR,
    "variables-prompts": VIEWER,
    "variables-prompts-create": EDITOR,
    "variables-refine": EDITOR,
    "variables-feedback-analysis": VIEWER,
    "variables-parse-value": VIEWER,
    "prompts-activate": EDITOR,
    "prompts-evaluate": EDITOR,
    "prompts-evaluation": VIEWER,
    # documents
    "documents-upload": EDITOR,
    "documents-list": VIEWER,
    "documents-get": VIEWER,
    "documents-delete": EDITOR,
    "documents-download": VIEWER,
    # jobs and results
    "jobs-create": EDITOR,
    "jobs-estimate": EDITOR,
    "jobs-update": EDITOR,
    "jobs-list": VIEWER,
    "jobs-get": VIEWER,
    "jobs-cancel": EDITOR,
    "jobs-progress": VIEWER,
    "jobs-pause": EDITOR,
    "jobs-resume": EDITOR,
    "jobs-results": VIEWER,
    "jobs-flagged": VIEWER,
    "jobs-logs": VIEWER,
    "jobs-statistics": VIEWER,
    "jobs-replicate": EDITOR,
    "jobs-replication": VIEWER,
    "extractions-preview": EDITOR,
    # review
    "extractions-get": VIEWER,
    "extractions-feedback-create": CODER,
    "extractions-feedback-withdraw": CODER,
    "extractions-feedback-list": VIEWER,
    "jobs-feedback": VIEWER,
    "jobs-agreement": VIEWER,
    # reliability studies (the coder's routes also check that the caller codes the study)
    "studies-create": EDITOR,
    "studies-list": VIEWER,
    "studies-get": VIEWER,
    "studies-close": EDITOR,
    "studies-unblind": EDITOR,
    "studies-queue": CODER,
    "studies-unit": CODER,
    "studies-codings-save": CODER,
    "studies-reliability": VIEWER,
    "studies-disagreements": EDITOR,
    "studies-gold-set": EDITOR,
    "studies-codings-export": EDITOR,
    # exports
    "exports-create": EDITOR,
}
