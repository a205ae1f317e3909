"""Data-consistency validators: ``key_checks`` (keys present, unique and well
formed) and ``row_checks`` (per-row conditions such as parts not exceeding
wholes, dates not after ``as_of``, a value present or absent)."""

from __future__ import annotations

import re
from typing import Any, Literal

import narwhals as nw
from pydantic import Field, field_validator, model_validator

from ...expressions import Compiled
from ...models import Evidence, Finding, Outcome, Required, Subject
from ...submission import ROW
from ...validators import Params, RuleContext, Validator
from ._common import Comparison, Expression, compare, first_null_column, in_scope
from ._support import (
    SubjectSpec,
    absent_tables_finding,
    as_of_error,
    column_label,
    id_expr,
    names_of,
    row_subject,
    rows_text,
    table_problem,
    table_zh,
    text,
)

_OP_ZH = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
_NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
    return pattern


class KeySpec(Params):
    table: str = Field(description="the table, e.g. schools")
    key: list[str] = Field(min_length=1, description="columns that together identify a row")
    patterns: dict[str, str] = Field(
        default_factory=dict,
        description="column -> regular expression the whole value must match, e.g. "
        "{school_id: '\\d{10}'}; missing values are not checked here")
    equals_manifest: dict[str, str] = Field(
        default_factory=dict,
        description="column -> manifest field it must equal, e.g. {county_code: county_code}")

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
        description="manifest field -> regular expression it must match, e.g. county_code")

    @field_validator("manifest_patterns")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            _check_regex(pattern)
        return value


class KeyChecksValidator(Validator):
    """Keys are present, unique and well formed; codes equal the manifest's.

    What it checks
        For each table: every ``key`` column has a value (else ``fail`` per
        row); no two rows share the key (``fail`` per duplicated key listing the
        rows, observed = number of rows); each ``patterns`` column matches its
        regular expression in full (``fail`` per row, observed = the value); each
        ``equals_manifest`` column equals the manifest field (``fail`` per row).
        A table with no such problem gives one ``pass`` (observed = rows checked).
        The manifest fields in ``manifest_patterns`` are checked the same way.
        Absent tables or columns are reported together in one
        ``not_applicable`` finding. Message values: ``detail_zh``, ``detail_en``.

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
    summary = "Keys present, unique and well formed; codes equal the manifest's."
    Params = KeyChecksParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: KeyChecksParams = ctx.params  # type: ignore[assignment]
        findings: list[Finding] = []
        skipped: dict[str, list[str] | None] = {}
        manifest = ctx.submission.manifest
        for field_name, pattern in p.manifest_patterns.items():
            value = getattr(manifest, field_name, None)
            ok = value is not None and re.fullmatch(pattern, str(value)) is not None
            findings.append(ctx.finding(
                outcome=Outcome.passed if ok else Outcome.fail,
                subject=ctx.submission_subject(), observed=None if value is None else str(value),
                required=Required(op="==", value=pattern),
                evidence=[Evidence(table="manifest", rows=None, columns=[field_name])],
                values={
                    "detail_zh": f"清单 {field_name} = {text(value)}，"
                    + ("格式正确" if ok else f"应符合 {pattern}"),
                    "detail_en": f"manifest {field_name} = {text(value)}"
                    + (" is well formed" if ok else f" must match {pattern}"),
                },
            ))
        for spec in p.tables:
            cols = [*spec.key, *spec.patterns, *spec.equals_manifest]
            issue = table_problem(ctx, spec.table, cols)
            if issue is not False:
                skipped[spec.table] = issue if isinstance(issue, list) else None
                continue
            findings += self._table(ctx, spec)
        if skipped:
            findings.append(absent_tables_finding(ctx, skipped))
        return findings

    def _table(self, ctx: RuleContext, spec: KeySpec) -> list[Finding]:
        lf = ctx.frame(spec.table)
        assert lf is not None
        stype, id_cols = row_subject(spec.table)
        t_zh = table_zh(spec.table)
        base = lf.with_columns(_id=id_expr(id_cols or spec.key),
                              _name=ctx.subject_name_expr(spec.table, ctx.columns(spec.table)))
        findings: list[Finding] = []

        def row_fail(rec: dict[str, Any], column: str, observed: Any, required: Required,
                     zh: str, en: str, rows: list[int] | None = None) -> Finding:
            rows = rows or [int(rec[ROW])]
            return ctx.finding(
                outcome=Outcome.fail,
                subject=Subject(type=stype, id=str(rec["_id"]), name=rec.get("_name")),  # type: ignore[arg-type]
                observed=observed, required=required,
                evidence=[Evidence(table=spec.table, rows=rows, columns=[column])],
                values={"detail_zh": f"「{t_zh}」表第 {rows_text(rows)} 行：{zh}",
                        "detail_en": f"table {spec.table}, row(s) {rows_text(rows)}: {en}"},
            )

        # 1. key values present
        null_col = first_null_column(list(spec.key))
        missing = base.filter(~null_col.is_null()).with_columns(_col=null_col).sort(ROW).collect()
        for rec in missing.iter_rows(named=True):
            zh, en = column_label(ctx, spec.table, rec["_col"])
            findings.append(row_fail(rec, rec["_col"], None, Required(op="exists", value=rec["_col"]),
                                     f"关键字段「{zh}」缺失", f"key column {en} is missing"))
        # 2. unique
        complete = base.filter(null_col.is_null())
        dup_keys = complete.group_by(*spec.key).agg(_n=nw.len()).filter(nw.col("_n") > 1)
        dups = complete.join(dup_keys, on=list(spec.key), how="inner").sort(ROW).collect()
        seen: dict[str, list[dict[str, Any]]] = {}
        for rec in dups.iter_rows(named=True):
            seen.setdefault(str(rec["_id"]) + "\x00" + "\x00".join(str(rec[k]) for k in spec.key),
                            []).append(rec)
        key_text = " + ".join(spec.key)
        for recs in seen.values():
            rows = [int(r[ROW]) for r in recs]
            findings.append(row_fail(
                recs[0], spec.key[0], len(rows), Required(op="<=", value=1),
                f"{key_text} = {'/'.join(text(recs[0][k]) for k in spec.key)} 重复 {len(rows)} 次",
                f"{key_text} = {'/'.join(text(recs[0][k]) for k in spec.key)} appears "
                f"{len(rows)} times", rows=rows))
        # 3. patterns
        for column, pattern in spec.patterns.items():
            bad = base.filter(
                ~nw.col(column).is_null()
                & ~nw.col(column).cast(nw.String).str.contains(f"^(?:{pattern})$")
            ).sort(ROW).collect()
            zh, en = column_label(ctx, spec.table, column)
            for rec in bad.iter_rows(named=True):
                findings.append(row_fail(
                    rec, column, text(rec[column]), Required(op="==", value=pattern),
                    f"「{zh}」{text(rec[column])} 格式不符（应符合 {pattern}）",
                    f"{en} {text(rec[column])} does not match {pattern}"))
        # 4. equal to the manifest
        manifest = ctx.submission.manifest
        for column, field_name in spec.equals_manifest.items():
            expected = getattr(manifest, field_name, None)
            if expected is None:
                continue
            bad = base.filter(
                ~nw.col(column).is_null() & (nw.col(column).cast(nw.String) != str(expected))
            ).sort(ROW).collect()
            zh, en = column_label(ctx, spec.table, column)
            for rec in bad.iter_rows(named=True):
                findings.append(row_fail(
                    rec, column, text(rec[column]), Required(op="==", value=str(expected)),
                    f"「{zh}」{text(rec[column])} 与清单的 {expected} 不一致",
                    f"{en} {text(rec[column])} differs from the manifest's {expected}"))
        if not findings:
            n = int(lf.select(nw.len()).collect().item())
            findings.append(ctx.finding(
                outcome=Outcome.passed, subject=ctx.county_subject(), observed=n,
                required=Required(op="<=", value=1), unit="rows",
                evidence=[Evidence(table=spec.table, rows=None,
                                   columns=list(dict.fromkeys(
                                       [*spec.key, *spec.patterns, *spec.equals_manifest])))],
                values={"detail_zh": f"「{t_zh}」表 {n} 行的关键字段齐全、唯一、格式正确",
                        "detail_en": f"table {spec.table}: keys of all {n} rows present, "
                        "unique and well formed"},
            ))
        return findings


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
        "or one per row (per_row)")


class RowChecksValidator(Validator):
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
        absent is skipped and reported in one ``not_applicable`` finding.
        Message values: ``detail_zh``, ``detail_en`` (table, row, columns and
        figures), ``label_zh``, ``label_en``.

    Example
        CON-06: ``{table: visits, left: issues_rectified, op: "<=", right:
        issues_found}``: a visit with 2 issues rectified of 1 found fails.
    """

    name = "row_checks"
    summary = "Per-row conditions (comparisons, present, absent) over several tables."
    Params = RowChecksParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: RowChecksParams = ctx.params  # type: ignore[assignment]
        findings: list[Finding] = []
        skipped: dict[str, list[str] | None] = {}
        as_of_needed = False
        runnable = []
        for chk in p.checks:
            compiled = {k: ctx.compile(getattr(chk, k), chk.table)
                        for k in ("where", "left", "right") if getattr(chk, k)}
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
                    skipped[chk.table] = list(dict.fromkeys([*(skipped.get(chk.table) or []),
                                                             *issue]))
                continue
            runnable.append((chk, compiled, uses_as_of))
        if as_of_needed and ctx.as_of is None:
            findings += as_of_error(ctx)
            runnable = [r for r in runnable if not r[2]]
        for chk, compiled, _ in runnable:
            findings += self._check(ctx, p, chk, compiled)
        if skipped:
            findings.append(absent_tables_finding(ctx, skipped))
        return findings

    def _check(self, ctx: RuleContext, p: RowChecksParams, chk: RowCheck,
               compiled: dict[str, Compiled]) -> list[Finding]:
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
            assert chk.op is not None
            ok = self._compare(lf, left, chk.op, right)
            left_e, right_e = left.expr, right.expr
            columns = list(dict.fromkeys(c for c in null_cols if c not in
                                         (where.columns if where else [])))
        else:
            column = chk.present or chk.absent
            assert column is not None
            ok = ~nw.col(column).is_null() if chk.present else nw.col(column).is_null()
            left_e, right_e = nw.col(column), nw.lit(None)
            columns = [column]
        result = (
            lf
            .select(
                _row=nw.col(ROW), _id=id_expr(id_cols),
                _name=ctx.subject_name_expr(chk.table, ctx.columns(chk.table)),
                _left=left_e, _right=right_e, _null=null_col,
                _outcome=nw.when(~null_col.is_null()).then(nw.lit("error"))
                .when(ok).then(nw.lit("pass")).otherwise(nw.lit("fail")),
            )
            .sort("_row")
            .collect()
        )
        t_zh = table_zh(chk.table)
        describe = self._describer(ctx, chk, columns)
        findings: list[Finding] = []
        tbl = ctx.table(chk.table)
        names = names_of(ctx, stype) if not result.is_empty() else {}
        for rec in result.iter_rows(named=True):
            outcome = rec["_outcome"]
            if outcome == "pass" and p.passes == "per_check":
                continue
            row = int(rec["_row"])
            subject = Subject(type=stype, id=str(rec["_id"]),  # type: ignore[arg-type]
                              name=rec["_name"] or names.get(str(rec["_id"])))
            evidence = [Evidence(table=chk.table, rows=[row], columns=columns)]
            if outcome == "error":
                findings.append(ctx.finding(
                    outcome=Outcome.error, subject=subject, evidence=evidence,
                    message=ctx.data_error_message(chk.table, tbl, row, rec["_null"], "missing")))
                continue
            zh, en, observed, required = describe(rec, outcome == "pass")
            findings.append(ctx.finding(
                outcome=Outcome(outcome), subject=subject, observed=observed, required=required,
                evidence=evidence,
                values={"detail_zh": f"「{t_zh}」表第 {row} 行：{zh}",
                        "detail_en": f"table {chk.table}, row {row}: {en}",
                        "label_zh": chk.label.zh if chk.label else "",
                        "label_en": chk.label.en if chk.label else ""},
            ))
        if p.passes == "per_check" and not any(
                f.outcome in (Outcome.fail, Outcome.error) for f in findings):
            n = len(result)
            label_zh = chk.label.zh if chk.label else self._rule_text(chk)
            label_en = chk.label.en if chk.label else self._rule_text(chk)
            findings.append(ctx.finding(
                outcome=Outcome.passed, subject=ctx.county_subject(), observed=n, unit="rows",
                required=self._required(chk, None),
                evidence=[Evidence(table=chk.table, rows=None, columns=columns)],
                values={"detail_zh": f"「{t_zh}」表 {n} 行均满足：{label_zh}",
                        "detail_en": f"table {chk.table}: all {n} rows meet: {label_en}",
                        "label_zh": label_zh, "label_en": label_en},
            ))
        return findings

    @staticmethod
    def _compare(lf: nw.LazyFrame, left: Compiled, op: str, right: Compiled) -> nw.Expr:
        schema = lf.select(_l=left.expr, _r=right.expr).collect_schema()
        temporal = any(isinstance(schema[c], (nw.Date, nw.Datetime)) for c in ("_l", "_r"))
        if temporal:
            return {
                ">=": lambda a, b: a >= b, ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b, "<": lambda a, b: a < b,
                "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
            }[op](left.expr, right.expr)
        return compare(left.expr.cast(nw.Float64), op, right.expr.cast(nw.Float64))

    @staticmethod
    def _rule_text(chk: RowCheck) -> str:
        if chk.left is not None:
            return f"{chk.left} {chk.op} {chk.right}"
        return f"{chk.present} present" if chk.present else f"{chk.absent} blank"

    @staticmethod
    def _required(chk: RowCheck, value: Any) -> Required:
        if chk.left is not None:
            return Required(op=chk.op, value=value)  # type: ignore[arg-type]
        if chk.present:
            return Required(op="exists", value=chk.present)
        return Required(op="==", value=None)

    def _describer(self, ctx: RuleContext, chk: RowCheck, columns: list[str]):
        def side(expr_text: str) -> tuple[str, str]:
            if expr_text in columns or expr_text in ctx.columns(chk.table):
                zh, en = column_label(ctx, chk.table, expr_text)
                return (f"{zh}（{expr_text}）" if zh != expr_text else expr_text), en
            if expr_text == "as_of":
                return "统计截止日期（as_of）", "as_of"
            return expr_text, expr_text

        def describe(rec: dict[str, Any], passed: bool) -> tuple[str, str, Any, Required]:
            if chk.left is not None and chk.right is not None and chk.op is not None:
                lz, le = side(chk.left)
                rz, re_ = side(chk.right)
                lv, rv = text(rec["_left"]), text(rec["_right"])
                if _is_number(chk.right):  # a literal: show it once
                    rz = re_ = ""
                sign = _OP_ZH[chk.op] if passed else _NEGATED[chk.op]
                zh = f"{lz} {lv} {sign} {rz} {rv}".replace("  ", " ")
                en = f"{le} {lv} {sign} {re_} {rv}".replace("  ", " ")
                if not passed:
                    zh += f"（应 {_OP_ZH[chk.op]}）"
                    en += f" (must be {chk.op})"
                return zh, en, _observed(rec["_left"]), self._required(chk, _observed(rec["_right"]))
            column = chk.present or chk.absent
            assert column is not None
            cz, ce = side(column)
            if chk.present:
                zh = f"{cz}为 {text(rec['_left'])}" if passed else f"{cz}缺失（应填写）"
                en = f"{ce} is {text(rec['_left'])}" if passed else f"{ce} is missing (required)"
            else:
                zh = f"{cz}为空" if passed else f"{cz}为 {text(rec['_left'])}（应为空）"
                en = f"{ce} is blank" if passed else f"{ce} is {text(rec['_left'])} (must be blank)"
            return zh, en, _observed(rec["_left"]), self._required(chk, None)

        return describe


def _is_number(text_: str) -> bool:
    try:
        float(text_)
    except ValueError:
        return False
    return True


def _observed(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


__all__ = ["KeyChecksValidator", "RowChecksValidator"]
