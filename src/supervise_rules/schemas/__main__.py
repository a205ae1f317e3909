"""``python -m supervise_rules.schemas``: regenerate the shipped schema files."""

from . import write_shipped

print(write_shipped())
