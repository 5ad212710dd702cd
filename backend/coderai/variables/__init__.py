"""Variables: the typed schema a project codes (`schemas`, `config` for the per-type
rules), created, updated, reordered and deleted by `service`; each change regenerates the
variable's prompt through `coderai.prompts`.
"""
