"""Hand-written record texts for the records tests (invented content, not corpus text)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
NEWS_DIRS = ("ai/_news", "ai/_archive/_news", "powerapps/_news")

IV = "AAAAAAAAAAAAAAAAAAAAAA=="  # 16 zero bytes
SECURED = "QUJDREVGR0hJSktMTU5PUA==;" + IV  # 16-byte body + 16-byte IV

CURRENT = f"""---
category: news
title: "Robots learn to \\"fold\\" laundry — finally"
excerpt: "A lab shows a robot folding shirts.\\nSecond line with a tab\\there ..."
publishedDateTime: 2023-11-07T00:27:00Z
originalUrl: "https://example.com/robots/laundry?utm=1"
webUrl: "https://example.com/robots/laundry"
ampWebUrl: "https://example.com/robots/laundry/amp"
cdnAmpWebUrl: "https://example-com.cdn.ampproject.org/c/s/example.com/robots/laundry/amp"
type: article
quality: 67
heat: 77
published: true

featuredContent: "<iframe src=\\"https://video.example.org/embed/1\\"></iframe>"

provider:
  name: Example News & Co.
  domain: example.com
  images:
    - url: "https://hub.example.org/assets/images/organizations/example.com-50x50.jpg"
      width: 50
      height: 50

topics:
  - AI
  - AI in Robotics

images:
  - url: "https://cdn.example.com/img/shirt.png?fit=750%2C600&#038;strip=all"
    width: 750
    height: 600
    isCached: true

related:
  - title: "Laundry robots, a history"
    excerpt: "Folding is hard."
    publishedDateTime: 2023-11-09T19:00:00Z
    webUrl: "https://other.example.net/laundry-history"
    type: article
    provider:
      name: other
      domain: other.example.net
    quality: 19
    images:
      - url: "https://other.example.net/a.jpg"
        width: 1200
        height: 630
        isCached: true

secured: "{SECURED}"
---

"""

LEGACY = """---
category: news
title: "Old story: robots"
excerpt: "An excerpt from 2019 ..."
publishedDateTime: 2019-12-17T07:01:00-07:00
sourceUrl: https://example.com/2019/12/robots/
ampUrl: https://example.com/2019/12/robots/amp/
cdnAmpUrl: https://example-com.cdn.ampproject.org/c/s/example.com/2019/12/robots/amp/
type: article
quality: 39
heat: -1
published: false

provider:
  name: Example
  domain: example.com
  images:
    - url: "/assets/images/organizations/example.com-50x50.jpg"
      width: 50
      height: 50

topics:
  - AI

images:
  - url: https://cdn.example.com/robots.jpg?sw=1200&cx=0
    width: 1200
    height: 675
    title: "Old story: robots"

related:
  - title: "A neighbour"
    excerpt: "Neighbour excerpt ..."
    publishedDateTime: 2019-12-17T09:39:00Z
    sourceUrl: https://neighbour.example.org/story/
    ampUrl: https://neighbour.example.org/story/amp/
    type: article
    provider:
      name: Neighbour
      domain: neighbour.example.org
    quality: 74
    images:
      - url: https://neighbour.example.org/pic.jpg
        width: 1199
        height: 675

secured: "QUJDREVGR0hJSktMTU5PUA==;AAAAAAAAAAAAAAAAAAAAAA=="
---

"""


def corpus_files() -> list[Path]:
    """Every news record file of the corpus, in a stable order (empty when absent)."""
    return sorted(p for d in NEWS_DIRS if (CORPUS / d).is_dir() for p in (CORPUS / d).glob("*.md"))
