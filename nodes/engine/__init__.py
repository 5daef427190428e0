"""Shared machine learning: featurisers, linear models and calibration, few-shot label
sets, evaluation metrics and data helpers. It knows no HTTP and no action."""
