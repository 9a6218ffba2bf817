"""An invented hub for the website tests: ~40 records, topics, providers, clusters, images.

Every image the records name is a real JPEG written by :func:`write_images` under the
site folder, so a browser test can demand that no image is broken. Titles and excerpts
are made up here (no corpus text); one record carries hostile markup and a
``javascript:`` URL, two are unpublished.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw

from everyday.models import Image, Provider, Record, Related
from everyday.publish import Entry, Output
from everyday.publish.api import NewsletterEntry, build_api
from everyday.publish.feeds import build_feeds
from everyday.publish.site import build_site
from everyday.records.slug import record_filename
from everyday.settings import SiteSettings
from everyday.taxonomy import Organization, Taxonomy, Topic

START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
HOSTILE_TITLE = "<script>alert(1)</script> Robot vacuum learns to open doors"
HOSTILE_EXCERPT = 'It said <img src=x onerror="alert(2)"> and then <b>left</b>.'
TAXONOMY = Taxonomy(
    topics=(
        Topic(id="robots", name="Robots", description="All robot news."),
        Topic(
            id="drones",
            name="Drones",
            parent="Robots",
            description="Flying machines, delivery and rules of the air.",
        ),
        Topic(
            id="robot-arms",
            name="Robot arms",
            parent="Robots",
            description="Grippers, factories and warehouses.",
        ),
        Topic(id="humanoids", name="Humanoids", parent="Robots"),
        Topic(id="space-robots", name="Space robots", parent="Robots"),
        Topic(id="toys", name="Toys", parent="Robots", services=(("learning", "x"),)),
    ),
    organizations={
        "botwire.example": Organization(
            id="botwire.example",
            name="Bot Wire",
            domain="botwire.example",
            images=(Image("/assets/images/organizations/botwire.jpg", 50, 50),),
        ),
    },
    root="Robots",
)
PROVIDERS = (
    ("Bot Wire", "botwire.example"),
    ("The Drone Desk", "dronedesk.example"),
    ("Gear Journal", "gearjournal.example"),
    ("Orbit Times", "orbittimes.example"),
    ("Factory Floor", "factoryfloor.example"),
)
SUBJECTS = (
    ("Delivery drone", "Drones"),
    ("Warehouse robot arm", "Robot arms"),
    ("Walking humanoid", "Humanoids"),
    ("Lunar rover", "Space robots"),
    ("Crop-spraying drone", "Drones"),
    ("Surgical arm", "Robot arms"),
    ("Toy robot kit", "Toys"),
    ("Mars helicopter", "Space robots"),
)
VERBS = (
    "passes its first winter test",
    "gets a cheaper battery",
    "learns to sort parcels",
    "wins a city permit",
    "sets a distance record",
    "is recalled after a sensor fault",
    "opens to developers",
    "finds a new factory partner",
)
SIZES = ((800, 450), (640, 480), (1200, 675), (600, 600))
COLOURS = ((37, 99, 235), (22, 163, 74), (234, 88, 12), (147, 51, 234), (219, 39, 119))
CLUSTERS = {0: "c-winter", 1: "c-winter", 2: "c-winter", 9: "c-parcels", 10: "c-parcels"}
UNPUBLISHED = (5, 23)
HOSTILE = 12
COUNT = 40


def sample_site(url: str = "https://hub.example.org", page_size: int = 8) -> SiteSettings:
    """The invented hub's settings, served from the ``/robots`` sub-path of ``url``."""
    return SiteSettings(
        title="Robots Every Day",
        url=url,
        baseurl="/robots",
        web_url=f"{url}/robots",
        locale="en-us",
        topic="Robots",
        page_size=page_size,
    )


def image_path(n: int) -> str:
    """Site-relative path of record ``n``'s lead image."""
    return f"assets/images/story-{n}.jpg"


def make_record(n: int, image_base: str) -> Record:
    """Record ``n``: subject, provider and image picked by ``n``; two hours after ``n - 1``."""
    subject, topic = SUBJECTS[n % len(SUBJECTS)]
    name, domain = PROVIDERS[n % len(PROVIDERS)]
    width, height = SIZES[n % len(SIZES)]
    title = f"{subject} {VERBS[(n // len(SUBJECTS) + n) % len(VERBS)]} (story {n})"
    excerpt = (
        f"{name} reports that the {subject.lower()} team shared new results this week. "
        f"Engineers say the next step is a wider trial with more {topic.lower()}."
    )
    if n == HOSTILE:
        title, excerpt = HOSTILE_TITLE, HOSTILE_EXCERPT
    return Record(
        title=title,
        excerpt=excerpt,
        published=START + timedelta(hours=2 * n),
        web_url="javascript:alert(3)" if n == HOSTILE else f"https://{domain}/news/{n}",
        provider=Provider(name=name, domain=domain),
        quality=60 + n % 30,
        heat=60 + (n * 37) % 90,
        is_published=n not in UNPUBLISHED,
        topics=("Robots", topic) if n % 3 else ("Robots", topic, "Drones"),
        images=(Image(f"{image_base}/{image_path(n)}", width, height, True),),
        related=_related(n),
    )


def _related(n: int) -> tuple[Related, ...] | None:
    """Story ``n`` links one earlier sample story and one outside article."""
    if n < 3 or n % 4 == 0:
        return None
    earlier = n - 3
    name, domain = PROVIDERS[earlier % len(PROVIDERS)]
    return (
        Related(
            title=f"Earlier coverage {earlier}",
            excerpt="An earlier take.",
            published=START + timedelta(hours=2 * earlier),
            web_url=f"https://{domain}/news/{earlier}",
            provider=Provider(name=name, domain=domain),
        ),
        Related(
            title=f"Outside view {n}",
            excerpt="Another outlet.",
            published=START + timedelta(hours=2 * n, minutes=30),
            web_url=f"https://elsewhere.example/view/{n}",
            provider=Provider(name="Elsewhere", domain="elsewhere.example"),
        ),
    )


def sample_entries(image_base: str = "https://img.example.net/robots") -> list[Entry]:
    """All sample records as entries under their canonical file names."""
    entries = []
    for n in range(COUNT):
        record = make_record(n, image_base)
        entries.append(
            Entry(f"_news/{record_filename(record.published.date(), record.title)}", record)
        )
    return entries


def sample_clusters(entries: list[Entry]) -> dict[str, str]:
    """Record path -> cluster id for the stories that several outlets covered."""
    return {entries[n].path: cid for n, cid in CLUSTERS.items()}


def sample_newsletters() -> list[NewsletterEntry]:
    """Two newsletter issues (one with a link that must not be followed)."""
    return [
        NewsletterEntry(
            path="_newsletters/robots-2024-03-02.html",
            title="Robots Every Day (2024-03-02)",
            excerpt="Delivery drone / Lunar rover",
            published=START + timedelta(days=1),
            web_url="https://www.example.org/robots/newsletters/2024-03-02/",
        ),
        NewsletterEntry(
            path="_newsletters/robots-2024-03-03.html",
            title="Robots Every Day (2024-03-03)",
            excerpt="<b>bold</b> claims",
            published=START + timedelta(days=2),
            web_url="javascript:alert(4)",
        ),
    ]


def write_images(site_dir: Path) -> None:
    """Small real JPEGs for every record image and the organization logo."""
    for n in range(COUNT):
        width, height = SIZES[n % len(SIZES)]
        _jpeg(site_dir / image_path(n), (width // 4, height // 4), COLOURS[n % len(COLOURS)])
    _jpeg(site_dir / "assets/images/organizations/botwire.jpg", (50, 50), (15, 23, 42))


def _jpeg(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = PILImage.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    w, h = size
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(255, 255, 255))
    draw.rectangle((0, 3 * h // 4, w, h), fill=tuple(c // 2 for c in colour))
    picture.save(path, "JPEG", quality=70)


def build_sample_site(root: Path, url: str) -> Path:
    """Build the sample hub (API, feeds, site) into ``root/robots``, served from ``url``."""
    site = sample_site(url)
    folder = root / "robots"
    folder.mkdir(parents=True, exist_ok=True)
    write_images(folder)
    entries = sample_entries(f"{url}/robots")
    out = Output(folder)
    build_api(entries, TAXONOMY, site, out, sample_newsletters())
    build_feeds(entries, TAXONOMY, site, out)
    build_site(
        entries,
        TAXONOMY,
        site,
        out,
        newsletters=sample_newsletters(),
        clusters=sample_clusters(entries),
    )
    out.finish()
    return folder
