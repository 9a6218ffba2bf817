"""Build a seed-format record from what collection found about one article.

Pure: the merged feed+page data, the lead image's entry, the taxonomy and ``now`` go in;
a :class:`~everyday.models.Record` comes out. Fields owned by later enrichment (quality,
heat, published, related, secured) stay ``None`` so they are absent from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..models import Image, Record
from ..settings import Settings
from ..taxonomy import Taxonomy
from .canonical import amp_cache_url
from .classifier import TopicModel, combine
from .excerpt import make_excerpt
from .provider import provider_for
from .topics import assign_topics

# A page that claims to be published more than this far in the future has a skewed clock.
MAX_FUTURE_SKEW = timedelta(hours=6)
# Dates before the web existed are placeholders (1970, 0001...), not publication dates.
EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Draft:
    """Everything known about an article before its record is built."""

    original_url: str
    web_url: str
    title: str
    description: str | None
    text: str
    published: datetime | None
    site_name: str | None
    amp_url: str | None
    image: Image | None


def publication_date(claimed: datetime | None, now: datetime) -> datetime:
    """The date to file an article under: the claimed one unless it is skewed or missing."""
    if claimed is None or claimed < EARLIEST_DATE or claimed > now + MAX_FUTURE_SKEW:
        return now.replace(microsecond=0)
    return claimed.astimezone(UTC).replace(microsecond=0)


def logo_base(settings: Settings) -> str:
    """The site's absolute base URL, which the organizations' relative logo paths extend."""
    site = settings.site
    return f"{site.url.rstrip('/')}{site.baseurl.rstrip('/')}"


def choose_topics(
    title: str,
    excerpt: str,
    text: str,
    taxonomy: Taxonomy,
    model: TopicModel | None = None,
    mode: str = "keywords",
) -> tuple[str, ...]:
    """Topics by the taxonomy's keywords, or with the hub's trained model (``[topics] mode``)."""
    keywords = assign_topics(title, excerpt, text, taxonomy)
    if model is None or mode == "keywords":
        return keywords
    learned = model.predict(title, excerpt, text)
    order = [t.name for t in taxonomy.topics]
    return tuple(combine(keywords, learned, mode, order=order, max_topics=5))


def build_record(
    draft: Draft,
    taxonomy: Taxonomy,
    settings: Settings,
    now: datetime,
    topic_model: TopicModel | None = None,
) -> Record:
    """Turn a draft into a record with provider, topics, excerpt and image."""
    excerpt = make_excerpt(draft.description, draft.text, settings.collect.excerpt_length)
    topics = choose_topics(
        draft.title, excerpt, draft.text, taxonomy, topic_model, settings.topics.mode
    )
    provider = provider_for(draft.web_url, draft.site_name, taxonomy, logo_base(settings))
    amp = draft.amp_url if draft.amp_url and draft.amp_url != draft.web_url else None
    return Record(
        title=draft.title,
        excerpt=excerpt,
        published=publication_date(draft.published, now),
        original_url=draft.original_url,
        web_url=draft.web_url,
        amp_web_url=amp,
        cdn_amp_web_url=amp_cache_url(amp) if amp else None,
        provider=provider,
        topics=topics,
        images=(draft.image,) if draft.image else (),
    )
