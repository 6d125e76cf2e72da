"""Article import: bytes in, typed blocks and an import report out. See importer.py."""
