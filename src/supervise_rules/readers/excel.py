"""Excel workbooks through fastexcel (Rust calamine); see ``docs/readers.md``
for why not openpyxl.

calamine holds a sheet as one dense grid from its first to its last cell with
a value: one stray value in XFD1048576 makes it ask for 512 GB and abort the
process. So an ``.xlsx``/``.xlsm`` workbook is checked before calamine sees it
(:class:`_Preflight`): the declared size of its parts, its shared strings, and
the cells of every sheet, streamed from the zip, against the limits
(:mod:`supervise_rules.limits`). A password-protected workbook (an encrypted
OLE2 container under an ``.xlsx`` name) and a damaged one are named as such.
``.xls``, ``.xlsb`` and ``.ods`` cells cannot be streamed that way: calamine
reads them in a child process with a memory limit (:func:`_load_isolated`).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import fastexcel
import polars as pl

from ..errors import SubmissionError
from ..limits import current_limits
from .base import RawTable, Reader
from .bounds import check_cells, check_file_size, refuse
from .problems import column_letter

#: the magic number of an OLE2 compound file (.xls, and encrypted .xlsx)
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 4 << 20


class ExcelReader(Reader):
    """Every non-empty sheet as a grid of text cells.

    Hidden and very hidden sheets are read too and marked
    (``RawTable.hidden``): the host decides whether to use them and reports
    them. Empty sheets (``Sheet2`` of a default workbook) hold nothing and are
    left out.

    The file is read into memory once and handed to calamine as bytes, so no
    handle stays open. Cells are converted to text by calamine (``1234`` for
    an integral number, ``2024-03-01`` for a date cell at midnight, ``true`` for a
    boolean); the host normalizes them like any CSV cell. Grid rows are sheet
    rows from row 1; ``sheet_columns`` keeps each column's letter position.
    """

    name = "excel"
    suffixes = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")

    def read(self, path: Path) -> list[RawTable]:
        display = path.name
        check_file_size(path, display)
        data = path.read_bytes()
        if not data:
            raise SubmissionError(f"{display} is empty.")
        if data.startswith(CFB_MAGIC) and _encrypted(data):
            raise _encrypted_error(display)
        checked = data.startswith(b"PK") and _is_ooxml_with_xml_sheets(data)
        if checked:
            _Preflight(data, display).run()
            sheets = _load_sheets(data, display)
        else:
            # .xls, .xlsb, .ods: their cells cannot be checked before calamine
            # reads them, so calamine reads them in a child process with a
            # memory limit — an allocation beyond it ends the child, not the run
            sheets = _load_isolated(data, display)
        limits = current_limits()
        tables = []
        for sheet_name, visible, columns, frame in sheets:
            if frame.height == 0:
                continue
            if frame.height > limits.max_sheet_rows:  # .xls, .xlsb, .ods: no preflight
                raise refuse(
                    f"{display}, sheet '{sheet_name}' has {frame.height:,} rows",
                    f"{display} 工作表「{sheet_name}」有 {frame.height:,} 行，超过上限",
                    "max_sheet_rows",
                    frame.height,
                )
            frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
            raw = RawTable(
                frame=_dates_as_shown(frame.cast(pl.String)),
                name=sheet_name,
                locator="row",
                first_line=1,
                sheet_columns=columns,
                hidden=None
                if visible == "visible"
                else "veryhidden"
                if visible == "veryhidden"
                else "hidden",
            )
            check_cells(raw, display)
            tables.append(raw)
        return tables


Sheet = tuple[str, str, list[int], pl.DataFrame]


def _dates_as_shown(frame: pl.DataFrame) -> pl.DataFrame:
    """A date cell as Excel shows it (``2024-10-08``), not as calamine writes
    its datetime (``2024-10-08 00:00:00``): the text every finding quotes."""

    def shown(c: pl.Expr) -> pl.Expr:
        midnight = c.str.ends_with(" 00:00:00") & (c.str.len_bytes() == 19)
        return pl.when(midnight).then(c.str.head(10)).otherwise(c)

    return frame.with_columns(shown(pl.col(c)).alias(c) for c in frame.columns)


def _is_ooxml_with_xml_sheets(data: bytes) -> bool:
    """An .xlsx/.xlsm zip whose sheets are XML parts the preflight can stream."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return True  # damaged: the preflight says so in its words
    return "xl/workbook.xml" in names


def _load_sheets(data: bytes, display: str) -> list[Sheet]:
    """Every non-empty sheet: name, visibility, sheet columns, text cells."""
    try:
        book = fastexcel.read_excel(data)
    except Exception as exc:  # calamine reports every corruption differently
        if _says_password(exc):
            raise _encrypted_error(display) from exc
        raise _damaged(display, _first_line(exc)) from exc
    out: list[Sheet] = []
    for sheet_name in book.sheet_names:
        try:
            sheet = book.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
            if sheet.width == 0:
                continue
            columns = [c.absolute_index for c in sheet.available_columns()]
            frame = sheet.to_polars()
        except Exception as exc:
            if _says_password(exc):
                raise _encrypted_error(display) from exc
            raise SubmissionError(
                f"{display}: sheet {sheet_name!r} cannot be read ({_first_line(exc)})."
            ) from exc
        out.append((sheet_name, str(sheet.visible), columns, frame))
    return out


#: run in the child: load every sheet, write each as Arrow IPC, print what it wrote
_CHILD = """
import json, resource, sys
from pathlib import Path
limit = int(sys.argv[3])
if limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from supervise_rules.readers.excel import _load_sheets
from supervise_rules.errors import SubmissionError
try:
    sheets = _load_sheets(Path(sys.argv[1]).read_bytes(), sys.argv[4])
except SubmissionError as exc:
    print(json.dumps({"error": str(exc)})); sys.exit(0)
meta = []
for i, (name, visible, columns, frame) in enumerate(sheets):
    frame.write_ipc(Path(sys.argv[2]) / f"{i}.arrow")
    meta.append([name, visible, columns])
print(json.dumps({"sheets": meta}))
"""


def _load_isolated(data: bytes, display: str) -> list[Sheet]:
    """:func:`_load_sheets` in a child process limited to
    ``Limits.max_reader_memory_bytes`` of address space (and the reading time to
    ``max_reader_seconds``): a workbook that would need more is refused, never
    an abort of this process."""
    import json
    import subprocess
    import sys
    import tempfile

    limits = current_limits()
    memory, seconds = limits.max_reader_memory_bytes, limits.max_reader_seconds
    with tempfile.TemporaryDirectory(prefix="supervise-rules-") as tmp:
        book = Path(tmp) / "book"
        book.write_bytes(data)
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(book), tmp, str(memory), display],
                capture_output=True,
                text=True,
                timeout=seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise refuse(
                f"{display} was not read within {seconds:,} seconds",
                f"{display} 未能在 {seconds:,} 秒内读完",
                "max_reader_seconds",
                seconds,
                "seconds",
            ) from None
        answer = None
        if done.returncode == 0 and done.stdout.strip():
            try:
                answer = json.loads(done.stdout.strip().splitlines()[-1])
            except ValueError:
                answer = None
        if answer is None:
            # killed by the limit (an abort, MemoryError) or by calamine itself
            raise refuse(
                f"{display} could not be read within the memory a workbook may use (a value "
                "far out in a sheet, such as cell XFD1048576, makes the reader ask for more)",
                f"{display} 无法在允许的内存内读取（工作表中远处的单元格有值，如 XFD1048576，"
                "会使读取所需内存过大）",
                "max_reader_memory_bytes",
                memory,
                "bytes",
            )
        if "error" in answer:
            raise SubmissionError(answer["error"])
        # read into memory: the files go with the temporary directory
        return [
            (name, visible, columns, pl.read_ipc(io.BytesIO((Path(tmp) / f"{i}.arrow").read_bytes())))
            for i, (name, visible, columns) in enumerate(answer["sheets"])
        ]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _encrypted(data: bytes) -> bool:
    """An OLE2 container holding an encrypted OOXML package (Excel's "Encrypt
    with password"): its directory names the streams in UTF-16."""
    return "EncryptedPackage".encode("utf-16-le") in data or ("EncryptionInfo".encode("utf-16-le") in data)


def _says_password(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("password", "encrypt"))


def _encrypted_error(display: str) -> SubmissionError:
    return SubmissionError(
        f"{display} is an encrypted workbook (it has a password to open): save it without "
        f"a password and submit it again. {display} 是加密的工作簿（有打开密码），"
        "请另存为不加密的文件后再提交。"
    )


def _damaged(display: str, detail: str) -> SubmissionError:
    return SubmissionError(
        f"{display} is not a readable Excel workbook ({detail}): it is damaged or not a "
        f"workbook; open it in Excel and save it again. {display} 已损坏或不是 Excel 工作簿，"
        "无法读取，请用 Excel 打开后重新保存再提交。"
    )


# --- preflight of an OOXML workbook ----------------------------------------------------------

#: a cell with a value (not self-closing) beyond column Z or below row 999,999
_FAR = r' r="(?:[A-Z]{2,}\d+|[A-Z]\d{7,})"[^>/]*>'
_FAR_REFS = re.compile(rb' r="([A-Z]{2,}\d+|[A-Z]\d{7,})"[^>/]*>')
#: a cell whose position is implied (no r="..." first): the sheet is then counted
#: exactly, in Python; so is a sheet whose elements carry a namespace prefix (<x:c>)
_IMPLIED = r"<c(?:>| [^r>])"
_PREFIXED = re.compile(rb"<[A-Za-z]\w*:sheetData\b")
#: bytes of a sheet scanned by polars at once
BATCH = 16 << 20


def _scan(chunks: list[bytes]) -> tuple[bool, tuple[int, int], tuple[int, int]]:
    """Whether these pieces of a sheet hold implied positions, and the
    positions (row, column) of their far cells farthest down and farthest right
    ((0, 0) when none)."""
    texts = pl.Series(chunks, dtype=pl.Binary).cast(pl.String, strict=False)
    if texts.null_count():  # not UTF-8: leave it to the exact count
        return True, (0, 0), (0, 0)
    frame = pl.DataFrame({"s": texts}).select(
        pl.col("s").str.contains(_IMPLIED).any().alias("implied"),
        pl.col("s").str.contains(_FAR).alias("far"),
    )
    down = right = (0, 0)
    for chunk, far in zip(chunks, frame.get_column("far"), strict=True):
        if far:
            for ref in _FAR_REFS.findall(chunk):
                pos = _cell_ref(ref.decode())
                if pos:
                    down, right = _farther(down, right, pos)
    return bool(frame.get_column("implied")[0]), down, right


def _farther(
    down: tuple[int, int], right: tuple[int, int], pos: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The cells farthest down and farthest right, with ``pos`` seen."""
    return (pos if pos[0] > down[0] else down), (pos if pos[1] > right[1] else right)


_REF = re.compile(r"([A-Z]+)(\d+)")
_TAG = re.compile(rb"<(?:[A-Za-z]+:)?(row|c)(?=[\s>/])([^>]*?)(/?)>")
_ATTR_R = re.compile(rb'\sr="([^"]*)"')


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """``'XFD1048576'`` -> (row 1048576, column 16384), 1-based."""
    m = _REF.fullmatch(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


class _Preflight:
    """Check a workbook's zip before calamine loads it: the parts' unpacked
    size, the shared strings, and each sheet's extent (its last row and last
    column holding a value), streamed."""

    def __init__(self, data: bytes, display: str):
        self.data, self.display = data, display
        self.limits = current_limits()

    def run(self) -> None:
        try:
            zf = zipfile.ZipFile(io.BytesIO(self.data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise _damaged(self.display, f"not a valid zip file: {exc}") from None
        unpacked = sum(i.file_size for i in infos)
        if unpacked > self.limits.max_unpacked_bytes:
            raise refuse(
                f"{self.display} unpacks to {unpacked:,} bytes",
                f"{self.display} 解压后有 {unpacked:,} 字节，超过上限",
                "max_unpacked_bytes",
                unpacked,
                "bytes",
            )
        names = {i.filename: i for i in infos}
        if "xl/sharedStrings.xml" in names:
            self._shared_strings(zf, names["xl/sharedStrings.xml"])
        for part, sheet in self._sheets(zf, names).items():
            try:
                self._sheet(zf, part, sheet)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise _damaged(self.display, f"{part}: {exc}") from None

    def _small(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        if info.file_size > 64 << 20:
            raise _damaged(self.display, f"{info.filename} is {info.file_size:,} bytes")
        return zf.read(info)

    def _sheets(self, zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> dict[str, str]:
        """Worksheet part -> sheet name (from the workbook and its relationships)."""
        parts = {n: Path(n).stem for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
        try:
            book = self._small(zf, names["xl/workbook.xml"]).decode("utf-8", "replace")
            rels = self._small(zf, names["xl/_rels/workbook.xml.rels"]).decode("utf-8", "replace")
        except (KeyError, zipfile.BadZipFile, OSError):
            return parts
        attrs = re.compile(r'([\w:]+)="([^"]*)"')
        targets = {}
        for rel in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
            a = dict(attrs.findall(rel))
            target = a.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[a.get("Id")] = target
        for sheet in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
            a = dict(attrs.findall(sheet))
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            if targets.get(rid) in parts:
                parts[targets[rid]] = html.unescape(a.get("name", ""))
        return parts

    def _shared_strings(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        if info.file_size > self.limits.max_shared_strings_bytes:
            raise refuse(
                f"{self.display}: its shared strings (xl/sharedStrings.xml) unpack to "
                f"{info.file_size:,} bytes",
                f"{self.display} 的共享字符串（xl/sharedStrings.xml）解压后有 "
                f"{info.file_size:,} 字节，超过上限",
                "max_shared_strings_bytes",
                info.file_size,
                "bytes",
            )
        with zf.open(info) as fh:
            head = fh.read(4096)
        # calamine reserves room for the strings the file declares: a false count aborts it
        for value in re.findall(rb'\buniqueCount="(\d+)"', head):
            declared = int(value)
            if declared > info.file_size // 5 + 16:  # <si/> takes 5 bytes at least
                raise _damaged(
                    self.display,
                    f"xl/sharedStrings.xml declares {declared:,} strings but holds {info.file_size:,} bytes",
                )

    def _sheet(self, zf: zipfile.ZipFile, part: str, sheet: str) -> None:
        down = right = (0, 0)
        implied = False
        # polars scans one batch (in a thread: it and zlib release the GIL) while
        # the next one is unpacked
        with zf.open(part) as fh, ThreadPoolExecutor(1) as pool:
            scans: list[Future[tuple[bool, tuple[int, int], tuple[int, int]]]] = []
            batch: list[bytes] = []
            rest, size = b"", 0
            while True:
                chunk = fh.read(CHUNK)
                data = rest + chunk
                if not scans and not batch and _PREFIXED.search(data[:65536]):
                    implied = True  # <x:c ...>: leave the positions to the exact count
                # cut at a tag: polars then sees whole characters and whole tags
                cut = len(data) if not chunk else max(data.rfind(b"<"), 0)
                batch.append(data[:cut])
                rest, size = data[cut:], size + cut
                if size >= BATCH or not chunk:
                    scans.append(pool.submit(_scan, batch))
                    batch, size = [], 0
                if not chunk:
                    break
            for scan in scans:
                found, far_down, far_right = scan.result()
                implied = implied or found
                down, right = _farther(down, right, far_down)
                down, right = _farther(down, right, far_right)
        # the far cells alone may be too far; else bounds: every cell below row
        # 999,999 or right of column Z is a far cell
        self._fits(down[0], right[1], sheet=sheet, down=down, right=right)
        rows, cols = max(down[0], 999_999), max(right[1], 26)
        if implied or not self._fits(rows, cols):
            down, right = self._exact(zf, part)
            self._fits(down[0], right[1], sheet=sheet, down=down, right=right)

    def _fits(
        self,
        rows: int,
        cols: int,
        *,
        sheet: str | None = None,
        down: tuple[int, int] = (0, 0),
        right: tuple[int, int] = (0, 0),
    ) -> bool:
        """Whether a sheet reaching (rows, cols) is within the limits; given the
        ``sheet`` and its cells farthest down and right, refuse it when not."""
        lim = self.limits
        over = None
        if cols > lim.max_columns:
            over = "max_columns"
        elif rows > lim.max_sheet_rows:
            over = "max_sheet_rows"
        elif rows * cols > lim.max_cells:
            over = "max_cells"
        if over is None:
            return True
        if sheet is None:
            return False
        low = f"{column_letter(down[1] - 1)}{down[0]}"
        far = f"{column_letter(right[1] - 1)}{right[0]}"
        if over == "max_columns":
            en = f"its cells reach column {column_letter(cols - 1)} ({cols:,} columns, cell {far})"
            zh = f"单元格最右到 {far}（{cols:,} 列）"
            actual = cols
        elif over == "max_sheet_rows":
            en = f"its cells reach row {rows:,} (cell {low})"
            zh = f"单元格最下到 {low}（{rows:,} 行）"
            actual = rows
        else:
            reach = f"reach {low}" if low == far else f"reach down to {low} and right to {far}"
            en = f"its cells {reach}, a range of {rows:,} rows × {cols:,} columns = {rows * cols:,} cells"
            zh = f"单元格最下到 {low}、最右到 {far}（{rows:,} 行 × {cols:,} 列，共 {rows * cols:,} 个单元格）"
            actual = rows * cols
        raise refuse(
            f"{self.display}, sheet '{sheet}': {en}, too many to read (a stray value far to "
            "the right or far down? delete it and save again)",
            f"{self.display} 工作表「{sheet}」的{zh}，超过上限；若远处有多余的值，请删除后重新保存",
            over,
            actual,
        )

    def _exact(self, zf: zipfile.ZipFile, part: str) -> tuple[tuple[int, int], tuple[int, int]]:
        """The cells holding a value farthest down and farthest right, counting
        cells and rows whose position is implied (no ``r``), as calamine places
        them. Python, per tag: only for sheets the cheap scan cannot clear."""
        down = right = (0, 0)
        row = col = 0
        with zf.open(part) as fh:
            rest = b""
            while True:
                chunk = fh.read(CHUNK)
                data = rest + chunk
                cut = len(data) if not chunk else data.rfind(b"<")
                if cut < 0:
                    cut = 0
                for m in _TAG.finditer(data, 0, cut):
                    kind, attrs, closed = m.group(1), m.group(2), m.group(3)
                    r = _ATTR_R.search(attrs)
                    if kind == b"row":
                        row = int(r.group(1)) if r and r.group(1).isdigit() else row + 1
                        col = 0
                        continue
                    pos = _cell_ref(r.group(1).decode()) if r else None
                    if pos:
                        row, col = pos[0], pos[1]
                    else:
                        col += 1
                    if not closed:  # a self-closing cell holds no value
                        down, right = _farther(down, right, (row, col))
                rest = data[cut:]
                if not chunk:
                    break
        return down, right
