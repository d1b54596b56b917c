"""Browser tests: headless Chromium against a live server holding the demo data."""
