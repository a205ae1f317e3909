"""Text encodings of county exports: detect UTF-8 (with or without BOM),
GB18030, or UTF-16 (with a BOM, or without one, recognised by the NUL byte of
every other byte) by streaming, and transcode to a temporary UTF-8 file only
when needed.

GBK and GB2312 are subsets of GB18030, so one decoder covers every export of
the Chinese platforms. Detection reads the file in chunks: a 100 MB file is
never held in memory as a whole. A file in none of these encodings is refused
in our words with the line and byte of the first byte that fits none of them.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import SubmissionError

CHUNK = 1 << 20
BOM = codecs.BOM_UTF8


@dataclass
class ByteCounts:
    """Bytes of a UTF-8 file counted in one pass (only when a CSV's rows are not
    all as wide as its widest one): separators, quotes and line feeds."""

    separator: bytes = b","
    separators: int = 0
    quotes: int = 0
    newlines: int = 0

    def count_file(self, path: Path) -> ByteCounts:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                self.separators += chunk.count(self.separator)
                self.quotes += chunk.count(b'"')
                self.newlines += chunk.count(b"\n")
        return self


@dataclass
class LineEnds:
    """Line ends counted while the encoding is checked (every chunk is read then
    anyway; ASCII bytes never occur inside a UTF-8 or GB18030 character): a CSV
    reader learns whether any cell holds a line break without looking at the
    cells. ``None`` counts: not counted (UTF-16)."""

    lf: int = 0
    cr: int = 0
    crlf: int = 0
    last: int | None = None  # the file's last byte
    _cr_end: bool = False

    def add(self, data: bytes) -> None:
        if not data:
            return
        self.lf += data.count(b"\n")
        cr = data.count(b"\r")
        if cr:
            self.cr += cr
            self.crlf += data.count(b"\r\n")
        if self._cr_end and data[0] == 0x0A:
            self.crlf += 1
        self._cr_end = data[-1] == 0x0D
        self.last = data[-1]

    def reset(self) -> None:
        self.lf = self.cr = self.crlf = 0
        self.last, self._cr_end = None, False

    def breaks_in_cells(self, records: int, eol: str) -> bool:
        """Whether some cell of the ``records`` read holds a line break: not when
        every line end in the file ends a record."""
        ends = self.lf if eol == "\n" else self.cr - self.crlf
        terminated = records - (0 if self.last in (0x0A, 0x0D) else 1)
        stray = (self.cr - self.crlf) if eol == "\n" else self.lf
        return ends != terminated or stray > 0


def _first_bad_byte(path: Path, encoding: str, ends: LineEnds | None = None) -> int | None:
    """The offset of the first byte that is not ``encoding`` text, or ``None``
    when the whole file decodes (``ends`` then counts its line ends)."""
    if ends is not None:
        ends.reset()
    carry, base = b"", 0  # carry: an incomplete character at the end of the last chunk
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            data = carry + chunk
            if not data:
                break
            try:
                data.decode(encoding)
                cut = len(data)
            except UnicodeDecodeError as exc:
                # a character cut by the chunk's end is completed by the next chunk
                if chunk and exc.end >= len(data) and len(data) - exc.start < 8:
                    cut = exc.start
                    try:
                        data[:cut].decode(encoding)
                    except UnicodeDecodeError as inner:
                        return base + inner.start
                else:
                    return base + exc.start
            if ends is not None:
                ends.add(data[:cut])
            base += cut
            carry = data[cut:]
            if not chunk:
                break
    return None


def _utf8_boundary(data: bytes) -> int:
    """Where the last complete UTF-8 character of ``data`` ends (a chunk may
    end in the middle of one)."""
    n = len(data)
    for i in range(n - 1, max(n - 4, 0) - 1, -1):
        byte = data[i]
        if byte < 0x80:
            return n
        if byte >= 0xC0:  # the lead byte of the last character
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return n if n - i >= need else i
    return n  # no lead byte: invalid, which the check will say


def _is_utf8(path: Path, ends: LineEnds | None = None) -> bool:
    """Whether the whole file is UTF-8, chunk by chunk, checked by polars:
    the same rule as Python's decoder, but several times faster on Chinese text."""
    import polars as pl

    if ends is not None:
        ends.reset()
    carry = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            data = carry + chunk if carry else chunk
            cut = _utf8_boundary(data)
            carry = data[cut:]
            try:
                pl.Series([data[:cut]], dtype=pl.Binary).cast(pl.String)
            except pl.exceptions.ComputeError:
                return False
            if ends is not None:
                ends.add(data[:cut])
    return not carry  # the file ends in the middle of a character


def _utf16_without_bom(head: bytes) -> str | None:
    """``'utf-16-le'`` / ``'utf-16-be'`` when ``head`` looks like UTF-16 text
    written without a byte-order mark: the ASCII of a CSV (separators, digits,
    line ends) puts a NUL in every other byte, and almost never in the others."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= max(2, pairs // 10) and even * 8 <= odd:
        return "utf-16-le"
    if even >= max(2, pairs // 10) and odd * 8 <= even:
        return "utf-16-be"
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path, display: str, ends: LineEnds | None = None) -> str:
    """``'utf-8'``, ``'utf-8-sig'``, ``'gb18030'``, ``'utf-16'`` (Excel's
    "Unicode text" export, recognized by its byte-order mark) or
    ``'utf-16-le'`` / ``'utf-16-be'`` (the same without a byte-order mark).

    ``ends``, when given, counts the file's line ends (UTF-8 and GB18030 only:
    ``ends.last`` stays ``None`` for UTF-16).

    :raises SubmissionError: the file is empty, binary, or in none of these
        (naming the line and byte of the first byte that fits none).
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if _decodes(path, "utf-16"):
            return "utf-16"
        raise SubmissionError(f"{display} starts like UTF-16 text but is not.")
    utf16 = _utf16_without_bom(head) if b"\x00" in head else None
    if utf16 is not None and _decodes(path, utf16) and head.decode(utf16, "replace").strip():
        return utf16
    if not head.strip(BOM + b" \t\r\n"):
        raise SubmissionError(f"{display} is empty.")
    if head.count(b"\x00") * 20 > len(head):
        raise SubmissionError(f"{display} is not a text table (it contains binary data).")
    if _is_utf8(path, ends):
        return "utf-8-sig" if head.startswith(BOM) else "utf-8"
    bad_gb = _first_bad_byte(path, "gb18030", ends)
    if bad_gb is None:
        return "gb18030"
    bad_utf8 = _first_bad_byte(path, "utf-8")
    # the encoding the file was meant to be in reads further before it fails
    _not_text(path, display, max(bad_gb, bad_utf8 or 0))
    raise AssertionError("unreachable")  # pragma: no cover


def _not_text(path: Path, display: str, offset: int) -> None:
    """Refuse a file in no known encoding, at the line and byte where it fails."""
    with path.open("rb") as fh:
        before = b""
        while len(before) < offset and (chunk := fh.read(min(CHUNK, offset - len(before)))):
            before += chunk
        bad = fh.read(1)
    # lines as a text editor counts them: CR LF, LF and a lone CR each end one
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    if before.endswith(b"\r") and bad == b"\n":
        line -= 1
    shown = f"0x{bad[0]:02X}" if bad else "end of file"
    raise SubmissionError(
        f"{display}: line {line} (byte {offset + 1:,}, {shown}) is neither UTF-8 nor "
        f"GB18030/GBK text; save the file as UTF-8 (Excel: CSV UTF-8) and submit it again. "
        f"{display} 第 {line} 行（第 {offset + 1:,} 字节）不是 UTF-8 或 GB18030 文本，"
        "请另存为 UTF-8 编码后再提交。"
    )


def head_text(path: Path, encoding: str, size: int = 256 * 1024) -> str:
    """The first ``size`` characters (about), decoded, for sniffing the layout."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        return fh.read(size)


@contextlib.contextmanager
def as_utf8(path: Path, encoding: str) -> Iterator[Path]:
    """A UTF-8 path with the same content: ``path`` itself, or a temporary copy
    transcoded chunk by chunk (deleted on exit) for GB18030 or UTF-16."""
    if encoding in ("utf-8", "utf-8-sig"):
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="supervise-rules-", suffix=".csv")
    try:
        with (
            path.open("r", encoding=encoding, newline="") as src,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def decode_text(path: Path, display: str) -> tuple[str, str]:
    """The whole file decoded (for small documents such as JSON) and its encoding."""
    encoding = detect_encoding(path, display)
    return path.read_text(encoding=encoding), encoding
