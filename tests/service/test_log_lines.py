"""Every line that ``sigopt-like serve`` logs passes one filter (log_redaction.py): what
waitress says of a request stays on one line, whatever the request's path holds."""

from __future__ import annotations

import io
import logging

from sigopt_like.service.log_redaction import redact_handlers


def test_waitress_quoting_a_path_with_a_line_break_writes_one_line() -> None:
    """Before: waitress's "Client disconnected while serving <path>" quotes the path
    percent-decoded, so a request for ``/x%0d%0a<forged line>`` wrote two lines."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    waitress = logging.getLogger("waitress")
    waitress.addHandler(handler)
    redact_handlers(waitress)
    path = "/v1/x\r\n2026-12-05 09:00:00,000 ERROR forged"
    try:
        for name in ("waitress", "waitress.channel"):
            logging.getLogger(name).warning(f"Client disconnected while serving {path}")
    finally:
        waitress.removeHandler(handler)
    lines = written.getvalue().splitlines()
    assert len(lines) == 2, lines
    shown = "serving /v1/x\\x0d\\x0a2026-12-05 09:00:00,000 ERROR forged"
    assert all(line.endswith(shown) for line in lines), lines
