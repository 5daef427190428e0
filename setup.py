"""Builds classify-lead's optional C featurizer; everything else is declared in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and
classify-lead uses its pure-Python featurizer (same results, slower in a busy server).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("nodes.classify_lead._fastgrams", ["nodes/classify_lead/_fastgrams.c"],
                             extra_compile_args=["-O3"], optional=True)])
