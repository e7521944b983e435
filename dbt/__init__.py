"""dbt: a cross-ISA dynamic binary translator for Linux user-mode programs."""

__version__ = "0.1.0"
