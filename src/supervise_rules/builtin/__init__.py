"""Built-in validators, readers, reporters and rulesets.

Each module here is an ordinary plugin, registered through the same hooks as a
third-party package (see ``supervise_rules.plugins.BUILTIN_PLUGINS``).
"""
