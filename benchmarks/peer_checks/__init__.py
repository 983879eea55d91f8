"""Checks of the benchmark's peers that need the 'bench' extra (BayBE, Optuna).

They are not in ``tests/`` because CI installs the 'test' extra only (BayBE brings
PyTorch, several GB) and fails any skipped test. Run them with the extra installed:
``pip install -e ".[bench]" && python -m pytest benchmarks/peer_checks``.
"""
