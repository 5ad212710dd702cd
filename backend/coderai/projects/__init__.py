"""Projects: the research context, the unit of observation, and the whole schema as one
JSON/YAML document (`schema_transfer`). Routes in `routes`, rules in `service`.
"""
