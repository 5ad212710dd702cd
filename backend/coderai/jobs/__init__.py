"""Jobs: creation and state changes (`service`), progress and result reports (`reports`),
one-document previews (`preview`), and the background `runner` that does the work.
"""
