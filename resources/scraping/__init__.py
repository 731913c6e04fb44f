"""The scraper: SSRF guard, safe fetcher, parsers of feeds, sitemaps and pages, and normalisation."""
