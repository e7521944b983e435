"""Test-wide setup: runs of `dbt` (in-process or in subprocesses that inherit the
environment) keep their persistent translation cache in a private temporary directory,
never in the user's ~/.cache/dbt.  Tests about the cache pass --cache-dir themselves."""
import os
import shutil
import tempfile

_dir = tempfile.mkdtemp(prefix="dbt-test-cache-")
os.environ["DBT_CACHE_DIR"] = _dir


def pytest_unconfigure(config):
    shutil.rmtree(_dir, ignore_errors=True)
