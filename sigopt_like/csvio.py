"""CSV reading and writing shared by spaces, tables and exports (stdlib only).

Reading is forgiving about what spreadsheets and other tools produce: a UTF-8
byte order mark (at the start, or at a line's where files were joined), UTF-16 with its
byte order mark (as Windows tools save it), Excel's ``sep=,`` first line, CRLF, CR or
mixed line endings, blank lines, whitespace around cells,
quoted cells with commas, and empty cells at the end of a row. Row numbers are
those a person sees in a spreadsheet (1-based, blank lines counted).
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import math
import numbers
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar, Union

import attrs

from ._constants import FLOAT_EXACT_WHOLE, INT64_MAX, INT64_MIN, MOST_DIGITS

CsvSource = Union[str, bytes, "os.PathLike[str]", IO[str], IO[bytes]]
Number = TypeVar("Number", int, float)

#: numbers are written in ASCII digits: ``\d`` (and ``int()``, ``float()``) would read
#: Arabic-Indic one (U+0661) or fullwidth one (U+FF11) as 1; such a cell is text (docs/daptics.md)
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_INT64_DIGITS = len(str(INT64_MAX))  # a literal with more digits is beyond 64 bits


def nfc(value: Any) -> Any:
    """``value`` in Unicode's composed form (NFC) if it is text, else unchanged.

    Names, levels and cells are compared as text: ``café`` typed on one machine (one
    code point for é) and exported from another (e + a combining accent) look the same
    and must match, so every name, level and text cell is kept composed."""
    if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
        return unicodedata.normalize("NFC", value)
    return value


class CsvFormatError(ValueError):
    """The text could not be read as CSV at all (e.g. a NUL byte, not UTF-8)."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@attrs.frozen
class Record:
    """One non-blank CSV record: its spreadsheet row number and stripped cells; ``raw``
    the cells as written (where a message names what a stripped cell held)."""

    row: int
    cells: tuple[str, ...]
    raw: tuple[str, ...] = ()


def read_text(source: CsvSource) -> str:
    """Return the text of ``source``: a path, an open file, bytes, or CSV text itself.

    A ``str`` is taken as CSV text when it contains a line break, or when it
    names no existing file, contains a comma and does not end in ``.csv``;
    otherwise it is a path.
    A leading byte order mark is removed.
    """
    if isinstance(source, os.PathLike):
        data: str | bytes = _read_file(Path(source))
    elif isinstance(source, bytes):
        data = source
    elif isinstance(source, str):
        if "\n" in source or "\r" in source or _inline_text(source):
            data = source
        elif source == "":
            data = ""
        else:
            data = _read_file(Path(source))
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise TypeError(f"expected a path, a file, bytes or CSV text, not {type(source).__name__}")
    wide = isinstance(data, bytes)
    if isinstance(data, bytes):
        _refuse_other_formats(data)
        if not data.startswith(_UTF16_BOMS):
            _refuse_binary(data)
    if isinstance(data, bytes) and data.startswith(_UTF16_BOMS):
        # Windows tools (and Excel's "Unicode Text", tab separated) write UTF-16 with its
        # byte order mark, which names the encoding: before, "not UTF-8 text (byte 0)"
        try:
            data = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"the file is not UTF-16 text past its byte order mark (byte {exc.start}); "
                "save it as CSV UTF-8"
            ) from exc
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(raw, exc.start) from exc
    if wide and data.count("\x00") * 4 > len(data):
        raise CsvFormatError(_WIDE_TEXT)
    return data.lstrip("\ufeff")


#: a file whose every other (or every fourth) character is a NUL: before, one problem a
#: cell, each showing the cell's NULs raw ("unknown parameter type '\x00n\x00u...'")
_WIDE_TEXT = (
    "the file has a NUL character between its letters: it is UTF-16 or UTF-32 text, not "
    "UTF-8; save it as 'CSV UTF-8 (Comma delimited)'"
)


#: the most bytes a file or folder name may have (Linux, macOS and Windows alike)
NAME_MAX_BYTES = 255
#: the most bytes a whole path may have: Linux's PATH_MAX, 4,096, counts the NUL that
#: ends it (macOS's is 1,024, Windows' 260 unless its long paths are on), so a longer one
#: is one no file system here takes
PATH_MAX_BYTES = 4095


def too_long(encoded: bytes) -> str | None:
    """What makes a path of these bytes one no file system takes (a name between its
    separators past :data:`NAME_MAX_BYTES`, or the whole past :data:`PATH_MAX_BYTES`), or
    None. Before, Python's OSError "File name too long" quoted the whole path: text of a
    megabyte given as a table is read as a file's path. Only this system's separators
    split names (a backslash is a letter of a name on Linux and macOS)."""
    parts = encoded
    if os.altsep:
        parts = parts.replace(os.fsencode(os.altsep), os.fsencode(os.sep))
    longest = max((len(part) for part in parts.split(os.fsencode(os.sep))), default=0)
    if longest > NAME_MAX_BYTES:
        return (
            f"a name of {longest:,} bytes between its slashes (file systems take at most "
            f"{NAME_MAX_BYTES})"
        )
    if len(encoded) > PATH_MAX_BYTES:
        return f"{len(encoded):,} bytes in all (file systems take at most {PATH_MAX_BYTES:,})"
    return None


def check_path(path: str | os.PathLike[str]) -> None:
    """Refuse (:class:`UnusablePathError` naming it) a path no file can have: before, a NUL
    was Python's ValueError "embedded null byte" (a lone surrogate, a UnicodeEncodeError),
    naming no path, from ``Space.from_csv``, ``to_csv`` and the downloads."""
    from .errors import UnusablePathError

    name = os.fspath(path)
    if isinstance(name, bytes):
        return
    if "\x00" in name:
        raise UnusablePathError(name, "a NUL character (U+0000)")
    try:
        encoded = os.fsencode(name)
    except UnicodeEncodeError as err:
        raise UnusablePathError(
            name, f"{name[err.start]!r} (a lone UTF-16 surrogate, not text)"
        ) from None
    reason = too_long(encoded)
    if reason is not None:
        raise UnusablePathError(name, reason)


def _read_file(path: Path) -> bytes:
    """The bytes of the file at ``path``; a folder is a CsvFormatError naming it and the
    CSV files in it (before: a bare IsADirectoryError). A missing file stays a
    FileNotFoundError."""
    check_path(path)
    try:
        return path.read_bytes()
    except IsADirectoryError:
        inside = sorted(p.name for p in path.glob("*.csv") if p.is_file())
        hint = f"; it holds {', '.join(map(repr, inside[:3]))}" if inside else ""
        more = f" and {len(inside) - 3:,} more" if len(inside) > 3 else ""
        raise CsvFormatError(
            f"{os.fspath(path)!r} is a folder, not a CSV file: give the path of the file "
            f"in it{hint}{more}"
        ) from None


def _not_utf8(data: bytes, start: int) -> CsvFormatError:
    """The error for a file that is not UTF-8 at byte ``start``, naming the row and the
    column of that byte as the file would read (before: "the file is not UTF-8 text
    (byte 24)", a place no spreadsheet shows). Excel's "CSV (Comma delimited)" saves in
    the computer's code page (``café`` as cp1252's byte 0xe9)."""
    byte = f"0x{data[start]:02x}"
    tip = (
        "save it as 'CSV UTF-8 (Comma delimited)' (Excel's plain 'CSV' saves in the "
        "computer's own encoding)"
    )
    if b"\x00" in data[:start] and _looks_wide(data[:_SAMPLE]):
        tip = "the file looks like UTF-16 without its byte order mark: save it as CSV UTF-8"
    before = data[:start].decode("utf-8-sig")  # UTF-8 up to the byte: the decoder said so
    try:
        records = list(csv.reader(io.StringIO(before, newline=""), skipinitialspace=True))
    except csv.Error:  # the byte sits inside a quoted cell gone wrong: say the byte alone
        records = None
    if records is None:
        return CsvFormatError(f"the file is not UTF-8 text (byte {start}, {byte}); {tip}")
    if not records or before.endswith(("\n", "\r")):
        row, column = len(records) + 1, 0  # the byte starts a line
    else:
        row, column = len(records), max(len(records[-1]) - 1, 0)
    letter = column_letter(column)
    return CsvFormatError(
        f"row {row}, column {letter}: byte {byte} is not UTF-8 text; {tip}", row=row, column=letter
    )


#: the first bytes of the files people give for a CSV file by mistake, and what they are.
#: Before, an Excel workbook (.xlsx, a zip archive) was "byte 0xa5 is not UTF-8 text; the
#: file looks like UTF-16 without its byte order mark", which sent its owner looking for
#: an encoding setting rather than Excel's "Save As" CSV.
_SAVE_AS_CSV = "open it in Excel (or LibreOffice) and save it as 'CSV UTF-8 (Comma delimited)'"
_OTHER_FORMATS = (
    (
        b"PK\x03\x04",
        "a zip archive (an Excel .xlsx or LibreOffice .ods workbook is one)",
        _SAVE_AS_CSV,
    ),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)", _SAVE_AS_CSV),
    (b"%PDF-", "a PDF document", "give the CSV file itself"),
    (b"\x1f\x8b", "gzip-compressed", "uncompress it first (gunzip)"),
)


def _refuse_other_formats(data: bytes) -> None:
    """CsvFormatError for a file whose first bytes say it is a workbook, a PDF or an archive,
    not text: the message names what it is and the way to a CSV file."""
    for magic, what, way in _OTHER_FORMATS:
        if data.startswith(magic):
            raise CsvFormatError(f"the file is {what}, not CSV text: {way}")


#: how many of a file's first bytes tell text from a binary file
_SAMPLE = 4096
#: the control bytes no text file holds (tab, line feed, vertical tab, form feed and
#: carriage return excepted)
_CONTROL_BYTES = frozenset(range(0x09)) | frozenset(range(0x0E, 0x20))
#: bytes of text in any 8-bit or wide encoding: printable ASCII, white space, and Latin
_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\r") | frozenset(range(0xA0, 0x100))


def _refuse_binary(data: bytes) -> None:
    """CsvFormatError for a file of no known format that is no text (control bytes, NULs
    not between letters), naming its first bytes in hex. Before: an ELF program or random
    bytes were told "the file looks like UTF-16 without its byte order mark", an encoding
    hunt for a file that is no text in any encoding."""
    sample = data[:_SAMPLE]
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    # a stray NUL or two in a cell is the cell's problem, said where it sits
    if controls < 8 or controls * 50 < len(sample) or _looks_wide(sample):
        return
    # text all the same: UTF-8 with control characters in its cells (an ANSI colour code,
    # a BEL: each said where it sits), or wide text whose NULs all fall on one side (a
    # UTF-16 file of CJK text, where NULs sit only beside its ASCII commas and digits)
    if _utf8_text(sample) or not sample[0::2].count(0) or not sample[1::2].count(0):
        return
    first = " ".join(f"{byte:02x}" for byte in sample[:8])
    raise CsvFormatError(
        f"the file is not text (its first bytes are {first}), so it is no CSV file: give the CSV "
        f"file itself, or {_SAVE_AS_CSV}"
    )


def _utf8_text(sample: bytes) -> bool:
    """Whether ``sample``, a file's first bytes, is UTF-8 (a character cut at its end
    allowed) with no NUL: a NUL is in no text a person writes."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return 0 not in sample


def _looks_wide(sample: bytes) -> bool:
    """Whether ``sample`` reads as UTF-16 (or UTF-32) text without its byte order mark:
    NULs at every other byte (little or big endian), mostly text in the rest."""
    for nuls, letters in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if not nuls or nuls.count(0) * 10 < len(nuls) * 8:  # 80 % of one side NUL
            continue
        text = [byte for byte in letters if byte]
        mostly_text = sum(byte in _TEXT_BYTES for byte in text) * 10 >= len(text) * 8
        if mostly_text and len(text) * 10 >= len(letters) * 4:  # UTF-32: half the rest NUL
            return True
    return False


#: the byte order marks of UTF-16 (little and big endian)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _inline_text(source: str) -> bool:
    """Whether a one-line ``str`` is CSV text rather than a file name."""
    if "," not in source or source.casefold().endswith(".csv"):
        return False
    return not os.path.exists(source)


def read_records(text: str) -> list[Record]:
    """Split CSV text into non-blank records, each cell stripped of surrounding space."""
    records: list[Record] = []
    row = 0
    separator = _SEPARATOR_LINE.match(text)
    if separator is not None:  # Excel's "sep=," first line: a hint to Excel, not a row
        _check_separator_line(separator.group(1))
        text, row = text[separator.end() :], 1
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        for cells in reader:
            row += 1
            stripped = tuple(clean_cell(cell) for cell in cells)
            if any(stripped):
                records.append(Record(row=row, cells=stripped, raw=tuple(cells)))
    except csv.Error as exc:
        raise CsvFormatError(_unreadable(exc, row + 1, quoted='"' in text), row=row + 1) from exc
    _check_unclosed_quote(text, records)
    _check_separator(records)
    return records


def _unreadable(exc: csv.Error, row: int, *, quoted: bool) -> str:
    """What the csv module's error at ``row`` means, said for a spreadsheet's user (before:
    "cannot read CSV: field larger than field limit (131072)"). The unclosed quote it
    most often is, is named only when the text has a quote (before, a file of one long
    line with none was told to close a quote it did not have)."""
    if "field larger than field limit" in str(exc):
        limit = f"row {row}: a cell there has more than {csv.field_size_limit():,} characters"
        if not quoted:
            return (
                f"{limit}, more than a CSV cell may: a space's or a table's cells are "
                "names, levels and numbers; is this the file you meant?"
            )
        return (
            f'{limit}, more than a CSV cell may: if a cell begins with a quote (") that is '
            "never closed, the rest of the file was read as that cell; close the quote or "
            "remove it"
        )
    return f"row {row}: cannot read CSV: {exc}"


def _check_unclosed_quote(text: str, records: Sequence[Record]) -> None:
    """Refuse a file whose last cell begins with a quote that is never closed: the csv
    module reads the rest of the file into it, and the row was then "row 2 has 1 cells
    but the header has 5 columns", naming neither the quote nor the rows it swallowed."""
    if not records or '"' not in text:
        return
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return  # a quote inside a cell ("a"b): read as the lenient reader reads it
        row = records[-1].row
        raise CsvFormatError(
            f'row {row}: a cell there begins with a quote (") that is never closed, so the '
            "rest of the file was read as that one cell; close the quote or remove it",
            row=row,
        ) from None


def clean_cell(text: str) -> str:
    """A cell as the readers take it: without the spaces at its ends, nor a byte order mark
    at its start (one starts a line where files were joined, ``cat a.csv b.csv``; invisible
    in a message, it made "'\ufeff1' is not a number" read "'1' is ...")."""
    return text.strip().lstrip("\ufeff").strip()


#: separators a spreadsheet may save "CSV" with, and how to name them
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs"}
#: Excel's first line naming the file's separator (``sep=,``), which Excel writes and reads
_SEPARATOR_LINE = re.compile(r"sep=([^\r\n])[ \t]*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)


def _check_separator_line(separator: str) -> None:
    """Refuse a file whose ``sep=`` line names a separator other than a comma."""
    if separator == ",":
        return
    if separator in _OTHER_SEPARATORS:
        raise _separator_error(_OTHER_SEPARATORS[separator], 1)
    raise CsvFormatError(
        f"row 1: the file says its values are separated by {separator!r} (sep={separator}), "
        "not commas: save the file as CSV with commas (Excel: 'CSV UTF-8 (Comma delimited)')",
        row=1,
    )


def _check_separator(records: Sequence[Record]) -> None:
    """Refuse, in one problem, a file whose values are separated by semicolons (Excel
    where the decimal mark is a comma) or tabs: read with commas, each row was one cell
    (before: one "parameter 'temp;numerical;20;40' has no type" per row)."""
    if not records or any(len(record.cells) > 1 for record in records):
        return
    for separator, name in _OTHER_SEPARATORS.items():
        if all(separator in record.cells[0] for record in records):
            raise _separator_error(name, records[0].row)


def other_separator(records: Sequence[Record]) -> CsvFormatError | None:
    """The error to raise instead of a file's problems when it reads as separated by
    semicolons (or tabs) with decimal commas, else None; asked only of a file that
    fails, so that no file that reads right is refused for its look.

    Such a file (Excel where the decimal mark is a comma) has the separator in every
    row, in the first row's first cell too; read with commas, each decimal comma split
    a number, so its rows were of many widths and the problems named cells such as
    '5;1;2' "beyond the header's 1 columns" or a parameter type '5;1'.
    """
    if not records or not records[0].cells:
        return None
    for separator, name in _OTHER_SEPARATORS.items():
        if separator in records[0].cells[0] and all(
            any(separator in cell for cell in record.cells) for record in records
        ):
            return _separator_error(name, records[0].row)
    return None


def _separator_error(name: str, row: int) -> CsvFormatError:
    return CsvFormatError(
        f"the values are separated by {name}, not commas: save the file as CSV "
        "with commas (Excel: 'CSV UTF-8 (Comma delimited)'), with '.' as the "
        "decimal mark",
        row=row,
    )


def trim_trailing(cells: Sequence[str]) -> tuple[str, ...]:
    """Drop the empty cells at the end of a row."""
    end = len(cells)
    while end and cells[end - 1] == "":
        end -= 1
    return tuple(cells[:end])


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def parse_number(text: str) -> float | int | None:
    """Parse a decimal literal (``3``, ``-2.5``, ``1e3``); None if it is not one.

    Words such as ``nan`` or ``inf`` are not numbers here; an int is returned
    for integer literals so that ``"3"`` stays ``3``, up to 64 bits: a longer one
    (a count of ``1180591620717411303424``) is read as a float, as a spreadsheet
    reads it, since no integer column of the service holds it (sent as an int, it was
    refused as "beyond the integers this service stores"). A literal past a float's range
    (``1e309``, 400 digits) is an infinity, which the readers refuse with its row; one of
    more than 4,300 digits, which ``int()`` refuses, used to be a traceback.
    """
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    if _INTEGER.match(text):
        digits = text.lstrip("+-").lstrip("0") or "0"  # leading zeros count in int()'s limit
        if len(digits) > _INT64_DIGITS:
            return float(text)
        number = -int(digits) if text.startswith("-") else int(digits)
        return number if INT64_MIN <= number <= INT64_MAX else float(text)
    return float(text)


#: a whole number of more digits than this is past a float's range (1.8e308 has 309)
_FLOAT_RANGE_DIGITS = 309


def whole_number(text: str) -> int | None:
    """The whole number ``text`` is written as (``-12``, ``9007199254740993``, any size a
    float's range holds); None for other text and for one past a float's range, which the
    readers refuse as too large (``int()`` raised past 4,300 digits)."""
    text = text.strip()
    if not _INTEGER.match(text):
        return None
    digits = text.lstrip("+-").lstrip("0") or "0"  # leading zeros count in int()'s limit
    if len(digits) > _FLOAT_RANGE_DIGITS:
        return None
    return -int(digits) if text.startswith("-") else int(digits)


def written_whole(value: Any) -> int | None:
    """``value`` as the whole number it is written as: an integer (not a bool), or text
    such as ``"9007199254740993"`` (:func:`whole_number`); None for anything else (a float,
    a decimal)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, str):
        return whole_number(value)
    return None


def is_integer_literal(text: str) -> bool:
    """Whether ``text`` is written as a whole number (``-12``, ``1180591620717411303424``):
    :func:`parse_number` reads one past 64 bits as a float, whose form (``1.18e+21``) is
    not what was typed."""
    return bool(_INTEGER.match(text.strip()))


#: NaN as programs print it (compared casefolded): ``nan`` and ``-nan`` (glibc's printf),
#: ``nan(ind)``, ``-nan(ind)`` and ``nan(snan)`` (MSVC's, which Windows lab software
#: writes), C99's ``nan(chars)``, and older MSVC's ``-1.#IND`` and ``1.#QNAN`` (padded with
#: a precision's zeros: ``-1.#IND00``)
_NAN_TEXT = re.compile(r"[+-]?(?:nan(?:\([0-9a-z_]*\))?|1\.#(?:ind|qnan|snan)0*)")


def is_nan_text(text: str) -> bool:
    """Whether ``text`` is a NaN as a program prints it (``nan``, ``-nan(ind)``,
    ``1.#QNAN``...), in any case, blanks around it ignored."""
    return _NAN_TEXT.fullmatch(text.strip().casefold()) is not None


def nan_tip(value: Any, name: str) -> str:
    """``; NaN ...`` saying where NaN means not measured, when ``value`` is NaN's text
    (a parameter's cell), else ``""``."""
    if not isinstance(value, str) or not is_nan_text(value):
        return ""
    return (
        f"; NaN means not measured only in the Response column: every experiment "
        f"needs a value of '{name}'"
    )


def ascii_digits(value: Any) -> str | None:
    """``value`` with its digits of other scripts written in ASCII (Arabic-Indic or
    fullwidth one, two -> ``"12"``); None if it has none (or is not text).

    Numbers are read from user text (cells, options, query values) in ASCII digits only:
    Python's ``int()``, ``float()`` and a regex's ``\\d`` read any script's digits, so
    each reader of a number asks this first and refuses such text with
    :func:`ascii_digits_tip` (docs/daptics.md says why)."""
    if not isinstance(value, str) or value.isascii():
        return None
    written = "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in value
    )
    return None if written == value else written


def ascii_digits_tip(value: Any) -> str:
    """`` (write it in ASCII digits: 12)`` for text written in other digits (Arabic-Indic
    one, two), else ``""``."""
    written = ascii_digits(value.strip() if isinstance(value, str) else value)
    return "" if written is None else f" (write it in ASCII digits: {written})"


def ascii_number(text: str, read: Callable[[str], Number], what: str) -> Number:
    """``read(text)`` (``int`` or ``float``) for a number a person typed, in ASCII digits
    only; a ValueError saying "'text' is not WHAT" otherwise, with the ASCII spelling
    where ``text`` was written in other digits (``read`` would take those silently). One
    reader for the options that each wrote these two steps out."""
    try:
        value = read(text)
    except ValueError:
        raise ValueError(f"{text!r} is not {what}") from None
    if ascii_digits(text) is not None:  # int() and float() read U+0661 as 1
        raise ValueError(f"{text!r} is not {what}{ascii_digits_tip(text)}")
    return value


_DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")
_GROUPED_DECIMAL = (
    re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+$"),  # 1,234.5
    re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+$"),  # 1.234,5
)
#: thousands grouped by a space (French, Swedish sheets: a no-break or a narrow one)
_SPACE_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+([.,][0-9]+)?$")


_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+$")


def decimal_comma_tip(value: Any) -> str:
    """`` (write it with '.' as the decimal mark: 1.5)`` when ``value`` is text such as
    ``1,5`` (a quoted cell of a sheet whose decimal mark is a comma), else ``""``.

    ``1,500`` may be 1.5 or 1500 (a thousands separator): the tip gives both, since the
    one tip "1.500" stored a thousandth of what a person meant who followed it; and
    ``1,234,567`` can only be a number with thousands separators.

    A number written in other digits than ASCII (Arabic-Indic, fullwidth) gets
    `` (write it in ASCII digits: 12)``: such a cell is text (docs/daptics.md)."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    ascii_text = ascii_digits(text)
    if ascii_text is not None and _NUMBER.match(ascii_text):
        return ascii_digits_tip(text)
    bare = text.replace(",", "")
    if _SPACE_GROUPED.match(text):
        plain = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
        return f" (write it with '.' as the decimal mark and no thousands separator: {plain})"
    if _GROUPED_DECIMAL[0].match(text):
        return f" (write it without thousands separators: {bare})"
    if _GROUPED_DECIMAL[1].match(text):
        plain = text.replace(".", "").replace(",", ".")
        return f" (write it with '.' as the decimal mark and no thousands separator: {plain})"
    if _THOUSANDS.match(text) and text.count(",") > 1:
        return f" (write it without thousands separators: {bare})"
    if _THOUSANDS.match(text):
        point = text.replace(",", ".")
        return (
            f" (write it with '.' as the decimal mark and no thousands separator: "
            f"{point} if the comma is the decimal mark, {bare} if it separates thousands)"
        )
    if not _DECIMAL_COMMA.match(text):
        return ""
    return f" (write it with '.' as the decimal mark: {text.replace(',', '.')})"


def clip(text: str, limit: int = 60) -> str:
    """``text`` for a message: whole if short, else its ends and its length.

    A 5,000-digit cell quoted whole made each of a table's problems a screenful."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}...{text[-10:]} ({len(text):,} characters)"


def clip_repr(text: str, limit: int = 60) -> str:
    """``text`` quoted as Python's repr for a message: whole if short, else its two ends
    between the quotes and its length after them (``'aaa...zzz' (300 characters)``), as
    ``json_kinds.json_shown`` cuts a text. ``repr(clip(text))`` put the length inside the
    quotes (``'aaa...zzz (300 characters)'``), as if the text had held it."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 20] + '...' + text[-10:]!r} ({len(text):,} characters)"


def digits_shown(digits: str) -> str:
    """An integer's digits for a message: whole up to
    :data:`~sigopt_like._constants.MOST_DIGITS` digits, else its first 20 characters and
    how many digits it has (``10000000000000000000... (a number of 5,001 digits)``): the
    one form every message of the client and the service gives a long number (the
    settings and a table's cells said ``1000...0000 (5,001 characters)``, a space's name
    "an integer of thousands of digits")."""
    count = len(digits.lstrip("-"))
    if count <= MOST_DIGITS:
        return digits
    return f"{digits[:20]}... (a number of {count:,} digits)"


def clip_int(value: int) -> str:
    """An int for a message, as :func:`digits_shown` shows its digits, also past the
    digits Python converts to text (``sys.get_int_max_str_digits()``, 4,300):
    ``str(10**5000)`` raises Python's own "Exceeds the limit (4300 digits)" ValueError,
    which a refusal quoting a caller's number passed on instead of its own words. The
    first digits and the count of such an int are worked out by arithmetic, never by
    converting it whole; int's own digits, not an int subclass's ``__str__``."""
    try:
        return digits_shown(int.__repr__(value))
    except ValueError:
        pass
    sign = "-" if value < 0 else ""
    digits = int_digits(value)
    leading = abs(value) // 10 ** (digits - (20 - len(sign)))
    return f"{sign}{leading}... (a number of {digits:,} digits)"


def int_digits(value: int) -> int:
    """How many digits the int ``value`` has (its sign not counted), worked out by
    arithmetic past the digits Python converts to text (4,300), as :func:`clip_int`
    counts them."""
    size = int.__abs__(value)  # int's own: an int subclass's __abs__ is not run
    try:
        return len(int.__repr__(size))
    except ValueError:
        pass
    digits = max(1, int((size.bit_length() - 1) * 0.30102999566398120))
    while 10**digits <= size:  # the estimate is at most one or two short
        digits += 1
    return digits


def format_cell(value: Any) -> str:
    """Text of one cell: ``None`` is empty, integral floats up to 2**53 lose their ``.0``.

    Past 2**53 a float keeps its own form (``9007199254740994.0``, ``1e+16``): written as
    digits it read back as a whole number, which a response past 2**53 may not be."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) <= FLOAT_EXACT_WHOLE:
            return str(int(value))
        return repr(value)
    return str(value)


def write_csv(rows: Iterable[Sequence[Any]]) -> str:
    """CSV text of ``rows`` (LF line endings; cells quoted only where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([format_cell(value) for value in row])
    return buffer.getvalue()


def write_text_file(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename)."""
    return write_bytes_file(path, text.encode("utf-8"))


def write_bytes_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename).

    The file gets the permissions any new file gets (0666 less the umask), so
    colleagues can read it where the umask lets them; ``tempfile.mkstemp`` would
    make it 0600 whatever the umask.

    A symbolic link is followed: the file it points to is replaced, not the link.
    A path that is not a regular file (``/dev/stdout``, a named pipe, a terminal)
    is written to as it is: a rename would put a regular file in its place (run as
    root, ``-o /dev/stdout`` replaced the system's link, and ``-o /dev/full``
    reported success).
    """
    check_path(path)
    try:
        mode: int | None = os.stat(path).st_mode  # through links, /proc's magic ones too
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", os.fspath(path))
    try:
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as stream:
                stream.write(data)
        else:
            _replace(Path(os.path.realpath(path)), data)
    except OSError as err:  # a full disk or device, a pipe closed early: say which file
        err.filename = err.filename or os.fspath(path)
        raise
    return Path(path)


def _replace(target: Path, data: bytes) -> None:
    """Put ``data`` at ``target`` by a temporary file beside it and a rename.

    An error about the temporary file names no file (the caller names the one it was
    asked to write): before, ``-o /proc/version`` said "no such file or folder:
    /proc/.version.3628dd091ac5.tmp", a name the person never gave. A folder that is
    there but takes no new file is :class:`OutputFolderError`, not "no such file"."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            fd, tmp = _new_temporary(target)
        except FileNotFoundError as err:
            if not target.parent.is_dir():
                raise
            # the folder is there and refuses a new file (/proc, /sys): before, this was
            # "no such file or folder: /proc/version", of a file that exists
            raise OutputFolderError(target.parent) from err
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as err:
        err.filename = err.filename2 = None
        raise


class OutputFolderError(OSError):
    """The output's folder exists and takes no new file (a file is written beside its
    target, then renamed over it), as ``/proc`` and ``/sys`` do."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"cannot write there: the folder {folder} takes no new file (an output is "
            "written beside it, then renamed into place); give a path in a folder of yours"
        )
        self.strerror = str(self.args[0])


def _new_temporary(target: Path) -> tuple[int, Path]:
    """A new, exclusive file beside ``target`` (mode 0666, so the umask applies), named
    after it: by its first 50 characters when the whole name and the 18 the temporary adds
    would pass a file name's NAME_MAX_BYTES (before, a target of 240 bytes, a name any file
    may have, was "File name too long", naming the temporary)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    name = target.name
    if len(os.fsencode(name)) + 18 > NAME_MAX_BYTES:
        name = name[:50]
    for _ in range(100):
        tmp = target.with_name(f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot make a temporary file beside {target}")
