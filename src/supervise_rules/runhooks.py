"""The run hooks (``run_started``, ``run_finished``): plugins that see a check
begin and end, e.g. to post the finished report to a platform.

Each plugin's hook is called on its own, so that one plugin that raises — even
``SystemExit`` or a ``KeyboardInterrupt`` of its own — becomes one ``error``
finding naming it (``RUN-01``) and the other plugins, and the run, go on. Only
the user's Ctrl-C ends the run.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from .interrupts import check_interrupted, is_users
from .models import Finding, LocalizedText, Outcome, Severity, Subject

#: the hooks this module calls, in the order of a run
RUN_HOOKS = ("run_started", "run_finished")


def call_run_hook(host: Any, hook: str, **kwargs: Any) -> list[Finding]:
    """Call ``hook`` of every plugin of ``host`` with ``kwargs``; one RUN-01
    finding per plugin whose hook raised."""
    pm = getattr(host, "pm", None)
    caller = getattr(pm.hook, hook, None) if pm is not None else None
    if caller is None:
        return []
    problems = []
    for impl in caller.get_hookimpls():
        try:
            impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
        except BaseException as exc:  # a plugin's failure is a finding, not a dead run
            if is_users(exc):
                raise
            problems.append(_failed(impl.plugin_name, hook, exc))
        check_interrupted()  # the user's Ctrl-C, even when the plugin swallowed it
    return problems


def _failed(plugin: str, hook: str, exc: BaseException) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)
    loc = f" ({Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
    text = str(exc).strip().splitlines()
    detail = (f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__) + loc
    return Finding(
        rule_id="RUN-01",
        title=LocalizedText(zh="插件运行钩子出错", en="A plugin's run hook failed"),
        severity=Severity.major,
        outcome=Outcome.error,
        subject=Subject(type="submission", id=plugin),
        message=LocalizedText(
            zh=f"插件 {plugin} 的 {hook} 出错：{detail}；本次检查的结果不受影响",
            en=f"Plugin {plugin}: {hook} raised {detail}; the findings of this run are unaffected",
        ),
    )


__all__ = ["RUN_HOOKS", "call_run_hook"]
