"""Reliability studies: blind double coding of a job's sampled units by several coders
(`service`), Krippendorff's alpha between them and against the model (`report`), and the
adjudication of their disagreements into gold values (`adjudication`).
"""
