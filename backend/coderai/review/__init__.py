"""Review: reviewers' verdicts and corrections on extractions (`service`), and the analysis
of reviewed answers: accuracy, error kinds, Cohen's kappa, calibration (`analysis`).
"""
