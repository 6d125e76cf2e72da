"""The shared state of the public page cache: the generation every process checks.

Kept apart from the content apps on purpose: the generation is operational state, not
content, so `export_site` does not export it and `import_site` does not count it as content.
The cache itself is `articles/caching.py`.
"""
