"""Builds the optional C extension nodes._native; everything else is declared in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and
every user of it takes its pure-Python path (same results, slower in a busy server).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("nodes._native", ["nodes/_native.c"],
                             extra_compile_args=["-O3"], optional=True)])
