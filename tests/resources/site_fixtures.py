"""Real-shaped documents served by the local test site: an RSS podcast feed, an Atom video feed, a sitemap index,
and pages described by schema.org JSON-LD or OpenGraph."""

import json

RSS_PODCAST = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Code Talk Weekly</title>
    <link>https://codetalk.example/</link>
    <description>Conversations about programming.</description>
    <itunes:author>Code Talk</itunes:author>
    <item>
      <title>Episode 12: Python &amp; Type Hints</title>
      <link>https://codetalk.example/episodes/12?utm_source=rss&amp;utm_medium=feed</link>
      <description><![CDATA[<p>We talk about <b>typing</b> in Python.</p><script>alert(1)</script>]]></description>
      <category>Python</category>
      <category>Beginner</category>
      <itunes:duration>1:02:30</itunes:duration>
      <enclosure url="https://codetalk.example/12.mp3" length="1234" type="audio/mpeg"/>
      <guid>codetalk-12</guid>
    </item>
    <item>
      <title>Episode 13: Testing with pytest</title>
      <link>https://codetalk.example/episodes/13</link>
      <description>Fixtures, parametrize and plugins.</description>
      <category>testing</category>
      <itunes:duration>2700</itunes:duration>
      <enclosure url="https://codetalk.example/13.mp3" length="1234" type="audio/mpeg"/>
    </item>
    <item>
      <title>A link we must not store</title>
      <link>javascript:alert(1)</link>
      <description>Bad link.</description>
    </item>
  </channel>
</rss>
"""

ATOM_VIDEOS = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
  <title>Algorithms Channel</title>
  <id>tag:algos.example,2024:channel</id>
  <updated>2024-05-01T00:00:00Z</updated>
  <entry>
    <title>Dynamic Programming, Visually</title>
    <id>tag:algos.example,2024:1</id>
    <link rel="alternate" href="https://algos.example/watch/dp"/>
    <updated>2024-05-01T00:00:00Z</updated>
    <summary>Memoisation and tabulation with pictures.</summary>
    <media:group><media:content url="https://algos.example/dp.mp4" type="video/mp4" medium="video"/></media:group>
    <category term="algorithms"/>
    <category term="advanced"/>
  </entry>
</feed>
"""


def jsonld_page(data: dict, og: dict | None = None, title: str = "Page") -> str:
    metas = "".join(f'<meta property="{k}" content="{v}">' for k, v in (og or {}).items())
    return (f"<!doctype html><html><head><title>{title}</title>{metas}"
            f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
            "<body><p>Body text that is not the description.</p></body></html>")  # fmt: skip


def course_page(base: str) -> str:
    return jsonld_page(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "Organization", "name": "Example University"},
                {
                    "@type": "Course",
                    "name": "Intro to Databases",
                    "description": "Relational modelling, SQL and transactions &amp; <em>indexes</em>.",
                    "url": f"{base}/courses/databases#top",
                    "educationalLevel": "Beginner",
                    "keywords": "sql, databases, Transactions",
                    "coursePrerequisites": ["Basic programming"],
                    "provider": {"@type": "Organization", "name": "Example University"},
                    "hasCourseInstance": {"@type": "CourseInstance", "courseWorkload": "PT12H"},
                },
            ],
        }
    )


VIDEO_PAGE = jsonld_page({"@context": "https://schema.org", "@type": "VideoObject", "name": "Git in 15 Minutes",
                          "description": "Commits, branches and merges.", "duration": "PT14M30S",
                          "keywords": ["git", "version control"]})  # fmt: skip
BOOK_PAGE = jsonld_page({"@context": "https://schema.org", "@type": ["Book", "CreativeWork"],
                         "name": "Thinking in Recursion", "description": "A short book on recursion.",
                         "author": {"@type": "Person", "name": "A. Author"}, "timeRequired": "P1DT2H",
                         "educationalLevel": {"@type": "DefinedTerm", "name": "Advanced"}})  # fmt: skip
LEARNING_RESOURCE_PAGE = jsonld_page({"@context": "https://schema.org", "@type": "LearningResource",
                                      "name": "Regex Playground", "learningResourceType": "interactive exercise",
                                      "description": "Practise regular expressions in the browser.",
                                      "educationalLevel": "intermediate"})  # fmt: skip
OG_PAGE = (
    "<html><head><title>ignored</title>"
    '<meta property="og:title" content="Understanding HTTP Caching">'
    '<meta property="og:type" content="article">'
    '<meta property="og:description" content="Cache-Control, ETags and validation.">'
    '<meta property="og:site_name" content="Web Notes">'
    '<meta property="article:tag" content="http"><meta property="article:tag" content="Caching">'
    "</head><body></body></html>"
)
PLAIN_PAGE = "<html><head><title>No metadata here</title></head><body>Hello</body></html>"


def sitemap_index(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap>"
        "</sitemapindex>"
    )


def sitemap_pages(base: str) -> str:
    locs = ["/courses/databases", "/videos/git", "/books/recursion", "/labs/regex", "/notes/http-caching",
            "/plain", "/private/secret", "/missing", "https://elsewhere.example/page"]  # fmt: skip
    urls = "".join(f"<url><loc>{loc if loc.startswith('http') else base + loc}</loc></url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


ROBOTS = "User-agent: *\nDisallow: /private/\n"
