"""Project members and the audit trail: who belongs to a project with which role (`service`),
and the append-only record of who did what (`audit`), with their routes."""
