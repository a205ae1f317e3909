"""pytest plugin (entry point ``pytest11``) with fixtures for rule authors."""
