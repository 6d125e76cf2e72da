"""The annotator's Chromium page fixture, shared with the suggestion browser test."""

from tests.annotator.test_browser import browser_page  # noqa: F401 - a fixture
