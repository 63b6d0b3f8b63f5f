"""Browser tests of the web app (Debian Chromium through Playwright); see conftest.py."""
