"""Data-consistency validators: ``key_checks`` (keys present, unique and well
formed) and ``row_checks`` (per-row conditions such as parts not exceeding
wholes, dates not after ``as_of``, a value present or absent).

Both return lazy result frames (validator API 2): every decision about a row,
the detail of its message and the rows a finding lists are column expressions,
so that a province's tables are checked without a Python loop over them."""

from __future__ import annotations

import re
from typing import Any, Literal

import narwhals as nw
import polars as pl
from pydantic import Field, field_validator, model_validator

from supervise_rules import ROW, EvidenceSpec, LocalizedText, Params, Rows, RuleContext, RuleResult, Validator
from supervise_rules.helpers import (
    Comparison,
    Compiled,
    Expression,
    SubjectSpec,
    absent_tables_result,
    as_of_results,
    column_label,
    column_zh,
    compare,
    expression_zh,
    first_null_column,
    id_expr,
    in_scope,
    pattern_zh,
    row_subject,
    table_problem,
    table_zh,
    text,
    with_names,
)

_OP_ZH = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
_NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}

#: template placeholders of key_checks' findings
_KEY_VALUES = ("detail_zh", "detail_en")
#: template placeholders of row_checks' findings
_ROW_VALUES = ("detail_zh", "detail_en", "label_zh", "label_en")


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
    return pattern


def _lit(value: str | None) -> nw.Expr:
    return nw.lit(value, dtype=nw.String)


def _concat(*parts: nw.Expr | str) -> nw.Expr:
    return nw.concat_str([_lit(p) if isinstance(p, str) else p for p in parts])


def _plain_text(expr: nw.Expr, dtype: Any) -> nw.Expr:
    """A value as :func:`supervise_rules.helpers.text` writes it, null where it is missing:
    dates as ISO, integral floats without ``.0``, other floats as Python writes
    them. Two differences remain, neither possible with the contract's integer
    and date columns: polars writes floats below 1e-4 without an exponent, and
    date-times are written to the second."""
    if dtype == nw.String:
        return expr
    if dtype == nw.Boolean:
        return nw.when(expr).then(_lit("True")).when(~expr).then(_lit("False"))
    if isinstance(dtype, nw.Datetime):
        return expr.dt.to_string("%Y-%m-%dT%H:%M:%S")
    if dtype.is_float() or dtype.is_decimal():
        f = expr.cast(nw.Float64)
        # Int64 holds every integral float below 1e15 exactly; counts and codes
        # are far below that.
        integral = (f == f.round(0)) & (f.abs() < 1e15)
        return (
            nw.when(f.is_nan())
            .then(_lit("nan"))
            .when(integral)
            .then(f.cast(nw.Int64).cast(nw.String))
            .otherwise(f.cast(nw.String))
        )
    return expr.cast(nw.String)


def _text(expr: nw.Expr, dtype: Any) -> nw.Expr:
    """:func:`supervise_rules.helpers.text` as a column expression (``—`` for a missing value)."""
    return _plain_text(expr, dtype).fill_null("—")


def _observed(expr: nw.Expr, dtype: Any) -> nw.Expr:
    """A value as ``observed`` / ``required``: dates as ISO text, decimals as floats."""
    if dtype == nw.Date or isinstance(dtype, nw.Datetime):
        return _plain_text(expr, dtype)
    if dtype.is_decimal():
        return expr.cast(nw.Float64)
    return expr


class KeySpec(Params):
    table: str = Field(description="the table, e.g. schools")
    key: list[str] = Field(min_length=1, description="columns that together identify a row")
    patterns: dict[str, str] = Field(
        default_factory=dict,
        description="column -> regular expression the whole value must match, e.g. "
        "{school_id: '\\d{10}'}; missing values are not checked here",
    )
    equals_manifest: dict[str, str] = Field(
        default_factory=dict,
        description="column -> manifest field it must equal, e.g. {county_code: county_code}",
    )

    @field_validator("patterns")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            _check_regex(pattern)
        return value


class KeyChecksParams(Params):
    tables: list[KeySpec] = Field(min_length=1, description="the tables whose keys to check")
    manifest_patterns: dict[str, str] = Field(
        default_factory=dict,
        description="manifest field -> regular expression it must match, e.g. county_code",
    )

    @field_validator("manifest_patterns")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            _check_regex(pattern)
        return value


class KeyChecksValidator(Validator[KeyChecksParams]):
    """Keys are present, unique and well formed; codes equal the manifest's.

    What it checks
        For each table: every ``key`` column has a value (else ``fail`` per
        row); no two rows share the key (``fail`` per duplicated key listing the
        rows, observed = number of rows); each ``patterns`` column matches its
        regular expression in full (``fail`` per row, observed = the value); each
        ``equals_manifest`` column equals the manifest field (``fail`` per row).
        A table with no such problem gives one ``pass`` (observed = rows checked).
        The manifest fields in ``manifest_patterns`` are checked the same way.
        Absent tables are reported together in one ``not_applicable`` finding
        (``error`` when a submitted table lacks a column). Message values:
        ``detail_zh``, ``detail_en``.

    Parameters
        ``tables`` (each ``table``, ``key``, ``patterns``, ``equals_manifest``)
        and ``manifest_patterns``. A missing key is itself the defect here, so
        it is a ``fail``, not an ``error``.

    Example
        CON-01: ``{table: schools, key: [school_id, level], patterns:
        {school_id: '\\d{10}'}, equals_manifest: {county_code: county_code}}``:
        a school id ``216400023`` (9 digits) fails.
    """

    name = "key_checks"
    summary = LocalizedText(
        zh="标识码齐全、唯一、格式正确；行政区划代码与说明页一致。",
        en="Keys present, unique and well formed; codes equal the manifest's.",
    )
    Params = KeyChecksParams
    message_values = _KEY_VALUES

    def check(self, ctx: RuleContext[KeyChecksParams]) -> list[RuleResult]:
        p = ctx.params
        results = [
            self._manifest_field(ctx, field_name, pattern)
            for field_name, pattern in p.manifest_patterns.items()
        ]
        skipped: dict[str, list[str] | None] = {}
        for spec in p.tables:
            cols = [*spec.key, *spec.patterns, *spec.equals_manifest]
            issue = table_problem(ctx, spec.table, cols)
            if issue is not False:
                skipped[spec.table] = issue if isinstance(issue, list) else None
                continue
            results += self._table(ctx, spec)
        if skipped:
            results.append(absent_tables_result(ctx, skipped))
        return results

    @staticmethod
    def _manifest_field(ctx: RuleContext, field_name: str, pattern: str) -> RuleResult:
        # One value of the manifest, not a data row: decided here, written as a
        # one-row frame so that the rule's own template renders the message.
        manifest = ctx.submission.manifest
        if field_name == "county_code" and manifest.is_batch:
            # a batch is named by its region code, read and checked with the manifest
            field_name = "region_code"
        value = getattr(manifest, field_name, None)
        ok = value is not None and re.fullmatch(pattern, str(value)) is not None
        subject = ctx.submission_subject()
        frame = pl.DataFrame(
            {
                "outcome": ["pass" if ok else "fail"],
                "subject_id": [subject.id],
                "subject_name": pl.Series([subject.name], dtype=pl.String),
                "observed": pl.Series([None if value is None else str(value)], dtype=pl.String),
                "detail_zh": [
                    f"清单中的「{column_zh('manifest', field_name)}」{text(value)} "
                    + ("格式正确" if ok else f"格式不符（应为 {pattern_zh(pattern)}）")
                ],
                "detail_en": [
                    f"manifest {field_name} = {text(value)}"
                    + (" is well formed" if ok else f" must match {pattern}")
                ],
            }
        )
        return RuleResult(
            frame=frame,
            table="manifest",
            subject_type=subject.type,
            op="==",
            threshold=pattern,
            values=_KEY_VALUES,
            evidence=[EvidenceSpec("manifest", [field_name], None)],
        )

    def _table(self, ctx: RuleContext, spec: KeySpec) -> list[RuleResult]:
        lf = ctx.frame(spec.table)
        assert lf is not None
        schema = lf.collect_schema()
        stype, id_cols = row_subject(spec.table)
        t_zh = table_zh(spec.table)
        base = lf.with_columns(
            subject_id=id_expr(id_cols or spec.key),
            subject_name=ctx.subject_name_expr(spec.table, ctx.columns(spec.table)),
        )
        # where the row is (file, sheet row, cell) the report adds, as the clerk numbers it

        def row_fails(
            bad: nw.LazyFrame[Any],
            column: str,
            op: str,
            required: nw.Expr | str,
            observed: nw.Expr | None,
            zh: nw.Expr,
            en: nw.Expr,
        ) -> RuleResult:
            frame = bad.select(
                "subject_id",
                "subject_name",
                row=nw.col(ROW),
                outcome=_lit("fail"),
                observed=observed if observed is not None else _lit(None),
                required=required if isinstance(required, nw.Expr) else _lit(required),
                detail_zh=zh,
                detail_en=en,
            )
            return RuleResult(
                frame=frame, table=spec.table, subject_type=stype, op=op, columns=[column], values=_KEY_VALUES
            )

        results: list[RuleResult] = []
        # 1. key values present: each row once, under its first missing key column
        null_col = first_null_column(list(spec.key))
        for column in spec.key:
            zh, en = column_label(ctx, spec.table, column)
            bad = base.filter(null_col == column)
            gone_zh, gone_en = _lit(f"关键字段「{zh}」缺失"), _lit(f"key column {en} is missing")
            raw = ctx.unreadable(spec.table, column)
            if raw is not None:  # a cell that held something unreadable is not missing
                bad = bad.join(raw.rename(_HELD), on=ROW, how="left")
                gone_zh, gone_en = _unreadable_or(gone_zh, gone_en, f"关键字段「{zh}」", f"key column {en}")
            results.append(row_fails(bad, column, "exists", column, None, gone_zh, gone_en))
        # 2. unique: one finding per duplicated key (and subject), listing its rows
        results.append(self._duplicates(spec, base.filter(null_col.is_null()), schema, stype, t_zh))
        # 3. patterns
        malformed = {}
        for column, pattern in spec.patterns.items():
            value = nw.col(column)
            malformed[column] = ~value.is_null() & ~value.cast(nw.String).str.contains(f"^(?:{pattern})$")
            shown = _text(value, schema[column])
            zh, en = column_label(ctx, spec.table, column)
            results.append(
                row_fails(
                    base.filter(malformed[column]),
                    column,
                    "==",
                    pattern,
                    shown,
                    _concat(f"「{zh}」", shown, f" 格式不符（应为 {pattern_zh(pattern)}）"),
                    _concat(f"{en} ", shown, f" does not match {pattern}"),
                )
            )
        # 4. equal to the manifest
        manifest = ctx.submission.manifest
        foreign = []
        for column, field_name in spec.equals_manifest.items():
            value = nw.col(column)
            shown = _text(value, schema[column])
            zh, en = column_label(ctx, spec.table, column)
            if field_name == "county_code" and manifest.is_batch:
                # a batch of counties: each row's county lies within the region
                region, prefix = manifest.region_code, manifest.region_prefix or ""
                differs = ~value.is_null() & ~value.cast(nw.String).str.starts_with(prefix)
                foreign.append(differs)
                results.append(
                    row_fails(
                        base.filter(differs),
                        column,
                        "==",
                        f"{prefix}*",
                        shown,
                        _concat(f"「{zh}」", shown, f" 不在清单的区划 {region} 范围内"),
                        _concat(f"{en} ", shown, f" is not within the manifest's region {region}"),
                    )
                )
                continue
            expected = getattr(manifest, field_name, None)
            if expected is None:
                continue
            differs = ~value.is_null() & (value.cast(nw.String) != str(expected))
            foreign.append(differs)
            results.append(
                row_fails(
                    base.filter(differs),
                    column,
                    "==",
                    str(expected),
                    shown,
                    _concat(f"「{zh}」", shown, f" 与清单的 {expected} 不一致"),
                    _concat(f"{en} ", shown, f" differs from the manifest's {expected}"),
                )
            )
        # 5. one pass for a table without any of these problems. A row with a
        # missing key is a problem already, so duplicates may be counted over all
        # rows here.
        problem = ~null_col.is_null() | (nw.len().over(*spec.key) > 1)
        for expr in [*malformed.values(), *foreign]:
            problem = problem | expr
        county = ctx.county_subject()
        n = nw.col("n")
        clean = (
            lf.select(_problem=problem)
            .select(n=nw.len().cast(nw.Int64), _problems=nw.col("_problem").cast(nw.Int64).sum())
            .filter(nw.col("_problems") == 0)
            .select(
                subject_id=_lit(county.id),
                subject_name=_lit(county.name),
                outcome=_lit("pass"),
                observed=n,
                detail_zh=_concat(f"「{t_zh}」表 ", n.cast(nw.String), " 行的关键字段齐全、唯一、格式正确"),
                detail_en=_concat(
                    f"table {spec.table}: keys of all ",
                    n.cast(nw.String),
                    " rows present, unique and well formed",
                ),
            )
        )
        columns = list(dict.fromkeys([*spec.key, *spec.patterns, *spec.equals_manifest]))
        results.append(
            RuleResult(
                frame=clean,
                table=spec.table,
                subject_type="county",
                op="<=",
                threshold=1,
                unit="rows",
                values=_KEY_VALUES,
                evidence=[EvidenceSpec(spec.table, columns, None)],
            )
        )
        return results

    @staticmethod
    def _duplicates(
        spec: KeySpec, complete: nw.LazyFrame[Any], schema: Any, stype: str, t_zh: str
    ) -> RuleResult:
        keys = [f"_k{i}" for i in range(len(spec.key))]
        # A finding is one key and one subject: where the subject's columns are not
        # the key, rows sharing a key under different subjects are listed apart.
        group = ["subject_id", *keys]
        dups = complete.with_columns(**{k: nw.col(c) for k, c in zip(keys, spec.key, strict=True)}).filter(
            nw.len().over(*spec.key) > 1
        )
        ranked = dups.with_columns(_rank=nw.col(ROW).rank(method="ordinal").over(*group))
        ranked = ranked.with_columns(_first_name=nw.when(nw.col("_rank") == 1).then(nw.col("subject_name")))
        n = nw.col("observed")
        key_text = " + ".join(spec.key)
        key_zh = "＋".join(f"「{column_zh(spec.table, k)}」" for k in spec.key)
        values = nw.concat_str(
            [_text(nw.col(k), schema[c]) for k, c in zip(keys, spec.key, strict=True)], separator="/"
        )
        frame = (
            ranked.group_by(*group)
            .agg(nw.len().cast(nw.Int64).alias("observed"), nw.col("_first_name").min().alias("subject_name"))
            .with_columns(
                outcome=_lit("fail"),
                detail_zh=_concat(
                    f"「{t_zh}」表中{key_zh}为 ", values, " 的记录重复 ", n.cast(nw.String), " 次"
                ),
                detail_en=_concat(
                    f"in table {spec.table}, {key_text} = ", values, " appears ", n.cast(nw.String), " times"
                ),
            )
        )
        evidence = EvidenceSpec(
            spec.table, [spec.key[0]], Rows(dups.select(*group, ROW), on=tuple(group), row=ROW)
        )
        return RuleResult(
            frame=frame,
            table=spec.table,
            subject_type=stype,
            op="<=",
            threshold=1,
            values=_KEY_VALUES,
            evidence=[evidence],
        )


class Label(Params):
    zh: str = Field(description="Chinese description of the check")
    en: str = Field(description="English description of the check")


class RowCheck(Params):
    table: str = Field(description="the table, e.g. schools")
    where: Expression | None = Field(default=None, description="rows the check applies to")
    left: Expression | None = Field(default=None, description="left side of a comparison")
    op: Comparison | None = Field(default=None, description="the comparison")
    right: Expression | None = Field(default=None, description="right side of a comparison")
    present: str | None = Field(default=None, description="a column that must have a value")
    absent: str | None = Field(default=None, description="a column that must be blank")
    label: Label | None = Field(default=None, description="what the check means, for messages")
    subject: SubjectSpec | None = Field(default=None, description="subject of row findings")

    @model_validator(mode="after")
    def _one_kind(self) -> RowCheck:
        kinds = [self.left is not None, self.present is not None, self.absent is not None]
        if sum(kinds) != 1:
            raise ValueError("a check is one of: left/op/right, present, absent")
        if self.left is not None and (self.op is None or self.right is None):
            raise ValueError("a comparison needs left, op and right")
        return self


class RowChecksParams(Params):
    checks: list[RowCheck] = Field(min_length=1, description="the per-row conditions")
    passes: Literal["per_check", "per_row"] = Field(
        default="per_check",
        description="one pass finding per check that holds on every row (per_check), "
        "or one per row (per_row)",
    )


class RowChecksValidator(Validator[RowChecksParams]):
    """Per-row conditions across several tables: comparisons, present, absent.

    What it checks
        Each check applies to the rows of ``table`` where ``where`` holds and is
        one of: ``left op right`` (two row expressions; numbers compared with a
        1e-9 relative tolerance, dates exactly); ``present: column`` (the column
        has a value); ``absent: column`` (the column is blank). The name
        ``as_of`` in an expression is the manifest's ``as_of`` date. A row that
        breaks a check is a ``fail`` finding naming the table, row and columns
        (observed: the left value; required: the right value). With ``passes:
        per_check`` a check that holds on every row gives one ``pass`` (observed:
        rows checked); with ``per_row`` every row gives its own pass.

    Parameters
        ``checks`` (each ``table``, ``where``, ``left``/``op``/``right`` or
        ``present`` or ``absent``, ``label``, ``subject``) and ``passes``. A
        missing value in a compared column (or in ``where``) is an ``error``
        naming the table, row and column; a check whose table or columns are
        absent is skipped and reported in one finding (``not_applicable`` for
        absent tables, ``error`` when a submitted table lacks a column).
        Message values: ``detail_zh``, ``detail_en`` (table, row, columns and
        figures), ``label_zh``, ``label_en``.

    Example
        CON-06: ``{table: visits, left: issues_rectified, op: "<=", right:
        issues_found}``: a visit with 2 issues rectified of 1 found fails.
    """

    name = "row_checks"
    summary = LocalizedText(
        zh="跨多张表的逐行条件（比较、须填、须空）。",
        en="Per-row conditions (comparisons, present, absent) over several tables.",
    )
    Params = RowChecksParams
    message_values = _ROW_VALUES

    def check(self, ctx: RuleContext[RowChecksParams]) -> list[RuleResult]:
        p = ctx.params
        results: list[RuleResult] = []
        skipped: dict[str, list[str] | None] = {}
        as_of_needed = False
        runnable = []
        for chk in p.checks:
            compiled = {
                k: ctx.compile(getattr(chk, k), chk.table)
                for k in ("where", "left", "right")
                if getattr(chk, k)
            }
            cols = [c for comp in compiled.values() for c in comp.columns]
            uses_as_of = "as_of" in cols
            as_of_needed |= uses_as_of
            cols = [c for c in cols if c != "as_of"]
            cols += [c for c in (chk.present, chk.absent) if c]
            issue = table_problem(ctx, chk.table, cols)
            if issue is not False:
                if issue is None or skipped.get(chk.table, []) is None:
                    skipped[chk.table] = None
                else:
                    skipped[chk.table] = list(dict.fromkeys([*(skipped.get(chk.table) or []), *issue]))
                continue
            runnable.append((chk, compiled, uses_as_of))
        if as_of_needed and ctx.as_of is None:
            results += as_of_results(ctx)
            runnable = [r for r in runnable if not r[2]]
        for chk, compiled, _ in runnable:
            results += self._check(ctx, p, chk, compiled)
        if skipped:
            results.append(absent_tables_result(ctx, skipped))
        return results

    def _check(
        self, ctx: RuleContext, p: RowChecksParams, chk: RowCheck, compiled: dict[str, Compiled]
    ) -> list[RuleResult]:
        lf = ctx.frame(chk.table)
        assert lf is not None
        if ctx.as_of is not None:
            lf = lf.with_columns(as_of=nw.lit(ctx.as_of))
        stype, id_cols = row_subject(chk.table, chk.subject)
        where, left, right = compiled.get("where"), compiled.get("left"), compiled.get("right")
        lf = in_scope(lf, where)
        null_cols = [c for comp in compiled.values() for c in comp.columns if c != "as_of"]
        null_col = first_null_column(list(dict.fromkeys(null_cols)))
        if left is not None and right is not None:
            left_e, right_e = left.expr, right.expr
            columns = list(dict.fromkeys(c for c in null_cols if c not in (where.columns if where else [])))
        else:
            column = chk.present or chk.absent
            assert column is not None
            left_e, right_e = nw.col(column), nw.lit(None)
            columns = [column]
        # The schema of the compared values, not their data: dates compare exactly,
        # numbers with a tolerance, and each is written in messages its own way.
        schema = lf.select(_l=left_e, _r=right_e).collect_schema()
        if left is not None and right is not None:
            assert chk.op is not None
            ok = self._compare(schema, left_e, chk.op, right_e)
        elif chk.present:
            ok = ~left_e.is_null()
        held = None
        if chk.absent:
            ok = left_e.is_null()
            held = ctx.unreadable(chk.table, chk.absent)
            if held is not None:  # a cell that held something is not blank, readable or not
                lf = lf.join(held.select(nw.col(ROW), _held=nw.col("raw")), on=ROW, how="left")
                ok = ok & nw.col("_held").is_null()
        outcome = (
            nw.when(~null_col.is_null())
            .then(_lit("error"))
            .when(ok)
            .then(_lit("pass"))
            .otherwise(_lit("fail"))
        )

        rows = lf.select(
            row=nw.col(ROW),
            subject_id=id_expr(id_cols),
            _row_name=ctx.subject_name_expr(chk.table, ctx.columns(chk.table)),
            _left=left_e,
            _right=right_e,
            error_column=null_col,
            outcome=outcome,
            **({"_held": nw.col("_held")} if held is not None else {}),
        )
        raw = ctx.unreadable(chk.table, chk.present) if chk.present else None
        if raw is not None:  # what a cell held, for "present" checks it fails
            rows = rows.join(raw.rename({ROW: "row", **_HELD}), on="row", how="left")
        if p.passes == "per_check":
            rows = rows.filter(nw.col("outcome") != "pass")
        # A name from the row itself, else from the subject's own table.
        rows = with_names(ctx, rows, stype).with_columns(
            subject_name=nw.coalesce(
                nw.when(nw.col("_row_name") != "").then(nw.col("_row_name")), nw.col("subject_name")
            )
        )
        passed = nw.col("outcome") == "pass"
        valid = nw.col("outcome") != "error"
        zh, en = self._detail(ctx, chk, columns, schema, passed, raw is not None, held is not None)
        label_zh = chk.label.zh if chk.label else ""
        label_en = chk.label.en if chk.label else ""
        op, required = self._required(chk)
        frame = rows.select(
            "row",
            "subject_id",
            "subject_name",
            "outcome",
            "error_column",
            error_kind=nw.when(~valid).then(_lit("missing")),
            observed=nw.when(valid).then(_observed(nw.col("_left"), schema["_l"])),
            required=nw.when(valid).then(
                _observed(nw.col("_right"), schema["_r"]) if chk.left is not None else _lit(required)
            ),
            op=nw.when(valid).then(_lit(op)),
            detail_zh=zh,
            detail_en=en,
            label_zh=_lit(label_zh),
            label_en=_lit(label_en),
        )
        results = [
            RuleResult(frame=frame, table=chk.table, subject_type=stype, columns=columns, values=_ROW_VALUES)
        ]
        if p.passes == "per_check":
            results.append(self._all_pass(ctx, chk, lf.select(_ok=outcome == "pass"), columns))
        return results

    def _all_pass(
        self, ctx: RuleContext, chk: RowCheck, checked: nw.LazyFrame[Any], columns: list[str]
    ) -> RuleResult:
        """One pass (observed: rows checked) when no row of the check fails or errs."""
        label_zh = chk.label.zh if chk.label else self._rule_text(chk)
        label_en = chk.label.en if chk.label else self._rule_text(chk)
        t_zh = table_zh(chk.table)
        county = ctx.county_subject()
        n = nw.col("observed").cast(nw.String)
        frame = (
            checked.select(observed=nw.len().cast(nw.Int64), _bad=(~nw.col("_ok")).cast(nw.Int64).sum())
            .filter(nw.col("_bad") == 0)
            .select(
                "observed",
                subject_id=_lit(county.id),
                subject_name=_lit(county.name),
                outcome=_lit("pass"),
                detail_zh=_concat(f"「{t_zh}」表 ", n, f" 行均满足：{label_zh}"),
                detail_en=_concat(f"table {chk.table}: all ", n, f" rows meet: {label_en}"),
                label_zh=_lit(label_zh),
                label_en=_lit(label_en),
            )
        )
        op, required = self._required(chk)
        return RuleResult(
            frame=frame,
            table=chk.table,
            subject_type="county",
            op=op,
            threshold=required,
            unit="rows",
            values=_ROW_VALUES,
            evidence=[EvidenceSpec(chk.table, columns, None)],
        )

    @staticmethod
    def _compare(schema: Any, left: nw.Expr, op: str, right: nw.Expr) -> nw.Expr:
        temporal = any(isinstance(schema[c], (nw.Date, nw.Datetime)) for c in ("_l", "_r"))
        if temporal:
            cond: nw.Expr = {
                ">=": lambda a, b: a >= b,
                ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b,
                "<": lambda a, b: a < b,
                "==": lambda a, b: a == b,
                "!=": lambda a, b: a != b,
            }[op](left, right)
            return cond
        return compare(left.cast(nw.Float64), op, right.cast(nw.Float64))

    @staticmethod
    def _rule_text(chk: RowCheck) -> str:
        if chk.left is not None:
            return f"{chk.left} {chk.op} {chk.right}"
        return f"{chk.present} present" if chk.present else f"{chk.absent} blank"

    @staticmethod
    def _required(chk: RowCheck) -> tuple[str, str | None]:
        """``(required.op, required.value)`` of a check; a comparison's value is
        the right side of each row."""
        if chk.left is not None and chk.op is not None:  # a comparison has its op (the model checks)
            return chk.op, None
        if chk.present:
            return "exists", chk.present
        return "==", None

    @staticmethod
    def _detail(
        ctx: RuleContext,
        chk: RowCheck,
        columns: list[str],
        schema: Any,
        passed: nw.Expr,
        has_raw: bool = False,
        has_held: bool = False,
    ) -> tuple[nw.Expr, nw.Expr]:
        """What a row shows, as ``(zh, en)`` expressions over ``_left`` and
        ``_right`` (and ``_raw``, an unreadable cell's text, with ``has_raw``;
        ``_held``, the text of a cell left out of one that must be blank)."""

        def side(expr_text: str) -> tuple[str, str]:
            if expr_text in columns or expr_text in ctx.columns(chk.table):
                zh, en = column_label(ctx, chk.table, expr_text)
                return zh, en
            if expr_text == "as_of":
                return "统计截止日期", "as_of"
            return expression_zh(expr_text, chk.table), expr_text

        lv = _text(nw.col("_left"), schema["_l"])
        if chk.left is not None and chk.right is not None and chk.op is not None:
            lz, le = side(chk.left)
            rz, re_ = side(chk.right)
            rv = _text(nw.col("_right"), schema["_r"])
            if _is_number(chk.right):  # a literal: show it once
                rz = re_ = ""
            sign = nw.when(passed).then(_lit(_OP_ZH[chk.op])).otherwise(_lit(_NEGATED[chk.op]))

            def side_by_side(lt: str, rt: str, must: str) -> nw.Expr:
                # the blank of an empty side collapses, as in the text it replaces
                shown = _concat(f"{lt} ", lv, " ", sign, f" {rt} ", rv).str.replace_all(
                    "  ", " ", literal=True
                )
                return _concat(shown, nw.when(passed).then(_lit("")).otherwise(_lit(must)))

            return (
                side_by_side(lz, rz, f"（应 {_OP_ZH[chk.op]}）"),
                side_by_side(le, re_, f" (must be {chk.op})"),
            )
        column = chk.present or chk.absent
        assert column is not None
        cz, ce = side(column)
        if chk.present:
            gone_zh, gone_en = _lit(f"{cz}缺失（应填写）"), _lit(f"{ce} is missing (required)")
            if has_raw:
                gone_zh, gone_en = _unreadable_or(gone_zh, gone_en, cz, ce)
            return (
                nw.when(passed).then(_concat(f"{cz}为 ", lv)).otherwise(gone_zh),
                nw.when(passed).then(_concat(f"{ce} is ", lv)).otherwise(gone_en),
            )
        if has_held:  # the value was left out: say what the cell held
            lv = nw.when(nw.col("_held").is_null()).then(lv).otherwise(_concat("「", nw.col("_held"), "」"))
        return (
            nw.when(passed).then(_lit(f"{cz}为空")).otherwise(_concat(f"{cz}为 ", lv, "（应为空）")),
            nw.when(passed)
            .then(_lit(f"{ce} is blank"))
            .otherwise(_concat(f"{ce} is ", lv, " (must be blank)")),
        )


#: :meth:`RuleContext.unreadable`'s columns as joined onto a rule's rows
_HELD = {"raw": "_raw", "why_zh": "_why_zh", "why_en": "_why_en"}


def _unreadable_or(
    missing_zh: nw.Expr, missing_en: nw.Expr, what_zh: str, what_en: str
) -> tuple[nw.Expr, nw.Expr]:
    """The wording of every rule for a value that is not there: what the cell
    held (``_raw``) when it held something unreadable, or something implausible
    (and what it should have been: ``_why_zh``, ``_why_en``), else ``missing_*``."""
    raw = nw.col("_raw")
    held = ~raw.is_null()
    odd_zh, odd_en = ~nw.col("_why_zh").is_null(), ~nw.col("_why_en").is_null()
    return (
        nw.when(held & odd_zh)
        .then(_concat(f"{what_zh}超出合理范围（原值「", raw, "」，", nw.col("_why_zh"), "）"))
        .when(held)
        .then(_concat(f"{what_zh}无法识别（原值「", raw, "」）"))
        .otherwise(missing_zh),
        nw.when(held & odd_en)
        .then(
            _concat(
                f"{what_en}: the value '", raw, "' is outside the plausible range (", nw.col("_why_en"), ")"
            )
        )
        .when(held)
        .then(_concat(f"{what_en}: the value '", raw, "' cannot be read"))
        .otherwise(missing_en),
    )


def _is_number(text_: str) -> bool:
    try:
        float(text_)
    except ValueError:
        return False
    return True


__all__ = ["KeyChecksValidator", "RowChecksValidator"]
