"""Exports: the dataset of a job as CSV, Excel, JSON, Parquet or Stata with its codebook.
`data` loads, `grid` resolves one value per cell, `frames` shapes wide/long tables,
`writers` writes each format, `codebook` describes it; `service` ties them together.
"""
