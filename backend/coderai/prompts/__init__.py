"""Prompts: generated from the project context and a variable (`generator`), versioned
(`service`), improved from review (`lessons`, `refiner`) and scored on held-out reviewed items
(`evaluation`) before they are adopted.
"""
