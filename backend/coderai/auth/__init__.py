"""Identity: accounts (argon2id passwords, `passwords`), browser sessions and API tokens stored
as hashes only (`tokens`, `service`), and the one authorisation step every route goes through
(`dependencies.authorise`, driven by the policy table in `policy`). See docs/ARCHITECTURE.md,
"Identity and access".
"""
