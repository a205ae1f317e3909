"""Public test kit for rule and plugin authors (see ``docs/plugins.md``)."""
