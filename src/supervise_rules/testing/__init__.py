"""Public test kit for rule and plugin authors.

A *case file* is YAML holding input rows per table, optional parameter
overrides and the findings expected for one rule::

    rule: PRE-02
    ruleset: helan-2024          # where to find the rule (default helan-2024)
    cases:
      - name: seed figures pass
        manifest: {county_code: "640122", as_of: 2024-09-30}
        params: {threshold: 0.8}  # optional, merged into the rule's params
        tables:
          kindergartens:
            - {kindergarten_id: K1, ownership: public, inclusive: true, children: 9169}
        expect:
          - {outcome: pass, subject: "640122", observed: 0.8299}

Each expected finding is matched, in report order, against the rule's actual
findings; only the keys given are compared: ``outcome``, ``subject`` (its id),
``subject_type``, ``observed`` (to 4 decimals unless ``tolerance`` is given),
``required`` (the threshold value), ``rows`` (rows of the first evidence),
``columns``, ``severity`` and ``message_contains`` (a substring of the zh or en
message). The number of findings must match too. On a mismatch the actual
findings are printed as YAML, ready to paste into the file.
"""

from .cases import (
    CaseFailure,
    RuleCase,
    case_params,
    case_report,
    check_case,
    findings_as_yaml,
    load_case_file,
    run_case,
)

__all__ = [
    "CaseFailure",
    "RuleCase",
    "case_params",
    "case_report",
    "check_case",
    "findings_as_yaml",
    "load_case_file",
    "run_case",
]
