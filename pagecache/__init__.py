"""The shared state of the public page cache: the generation every process checks.

Kept apart from the content apps on purpose: the generation is operational state, not
content, so `export_site` does not export it and `import_site` does not count it as content.
The generation is read and replaced by `pagecache/generation.py`; the cache itself is
`public/caching.py`.
"""
