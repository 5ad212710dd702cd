"""Documents: recognised by their bytes (`file_type`), parsed once at upload (`parsers`;
`table_rows` for one document per spreadsheet row), originals kept content-addressed
(`file_store`), stored and listed by `service`.
"""
