"""`make bench`: measured rows against their targets. See bench/__main__.py."""
