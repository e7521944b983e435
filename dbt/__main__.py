"""`python -m dbt` is the `dbt` command."""

from dbt.cli import entry

entry()
