"""Rules of a training run's file, as sigopt-python's ``run.log_image`` describes it (pure).

``log_image`` sends ``content_type`` (an image type: PNG from a matplotlib figure, a PIL
image or an array; the file's own type from a path), ``content_length`` and
``content_md5`` (base64 of the MD5 digest) and optional ``name`` and ``filename``, then
puts the bytes at the upload URL it is given. The bytes must match what was described.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from .sigopt_checks import RuleError, json_shown, known_fields, name_text, whole_number

FIELDS = ("name", "filename", "content_type", "content_length", "content_md5")
#: an image type, as sigopt-python sends for each image it can upload
_IMAGE_TYPE = re.compile(r"image/[A-Za-z0-9][A-Za-z0-9.+-]{0,80}")


def described(body: Mapping[str, Any], max_bytes: int) -> dict[str, Any]:
    """The columns of a file described by ``body``; a RuleError naming what is wrong."""
    known_fields(body, FIELDS, "", "file")
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or not _IMAGE_TYPE.fullmatch(content_type):
        raise RuleError(
            "'content_type' must be an image type such as \"image/png\" (run.log_image uploads "
            f"images), not {json_shown(content_type)}.",
            "content_type",
            400,
        )
    length = whole_number(
        body.get("content_length"),
        "content_length",
        (1, max_bytes),
        note="a number of bytes, up to the service's body limit",
    )
    md5 = body.get("content_md5")
    if not isinstance(md5, str) or _md5_bytes(md5) is None:
        raise RuleError(
            "'content_md5' must be the base64 of the content's 16-byte MD5 digest.",
            "content_md5",
            400,
        )
    return {
        "name": name_text(body.get("name"), "name", required=False),
        "filename": name_text(body.get("filename"), "filename", required=False),
        "content_type": content_type,
        "content_length": length,
        "content_md5": md5,
    }


def _md5_bytes(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 16 else None


def content_problem(
    data: bytes, content_length: int, content_md5: str, content_type: str, sent_type: str | None
) -> tuple[str, str] | None:
    """What is wrong with uploaded bytes against their description: (message, field)."""
    if len(data) != content_length:
        return (
            f"The upload has {len(data)} bytes; the file was described with {content_length}.",
            "content_length",
        )
    if base64.b64encode(hashlib.md5(data).digest()).decode() != content_md5:
        return (
            "The upload's MD5 is not the content_md5 the file was described with.",
            "content_md5",
        )
    if sent_type is not None and sent_type.split(";")[0].strip() != content_type:
        return (
            f"The upload is sent as {json_shown(sent_type)}; the file was described as "
            f"{json_shown(content_type)}.",
            "content_type",
        )
    return None
