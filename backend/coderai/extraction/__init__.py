"""The extraction engine: a document and its variables' prompts in, typed and grounded
answers out. Pure: no database and no web code (docs/ARCHITECTURE.md). `engine.extract_document`
is the entry point; `chunker`, `grounding`, `normalised_text` and `coercion` are its parts.
"""
