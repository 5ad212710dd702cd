"""Turning a model's answer into a variable's typed value: numbers with units and
separators (`numbers`), dates (`dates`), categories (`categories`), and the rules that combine
them (`values`).
"""
