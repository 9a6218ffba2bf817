"""Provider names, domains and logos: the PSL, the organizations registry, the seed."""

from __future__ import annotations

import pytest

from everyday.enrich.provider import (
    clean_site_name,
    host_of,
    name_from_domain,
    provider_domain,
    provider_for,
    registrable_domain,
)
from everyday.models import Image, Provider
from everyday.taxonomy import Organization, Taxonomy, load_taxonomy
from taxonomy_corpus import HUBS, LOGO_BASE, corpus_hub, seed_records

BASE = "https://everyday-cc.github.io/ai"


def org(domain: str, name: str, *images: Image) -> Organization:
    return Organization(id=domain, name=name, domain=domain, images=images)


TAXONOMY = Taxonomy(
    organizations={
        "amazon.com": org(
            "amazon.com",
            "Amazon",
            Image("/assets/images/organizations/amazon.com-50x50.jpg", 50, 50),
            Image("/assets/images/organizations/amazon.com-400x400.jpg", 400, 400),
        ),
        "aws.amazon.com": org("aws.amazon.com", "AWS"),  # no images listed
        "bbc.co.uk": org("bbc.co.uk", "BBC News", Image("https://cdn.example/bbc.png", 50, 50)),
    },
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://aws.amazon.com/blogs/machine-learning/x/", "amazon.com"),
        ("http://www.bbc.co.uk/news", "bbc.co.uk"),
        ("https://news.MIT.edu./x", "mit.edu"),  # case, trailing dot
        ("https://user:pw@www.example.com:8443/a", "example.com"),
        ("www.example.co.uk/path", "example.co.uk"),  # bare host with a path
        ("example.com", "example.com"),
        ("https://everyday-cc.github.io/ai/", "everyday-cc.github.io"),  # private suffix
        ("https://foo.blogspot.com/", "foo.blogspot.com"),
        ("https://bücher.de/x", "xn--bcher-kva.de"),  # IDNA
        ("https://xn--bcher-kva.de/x", "xn--bcher-kva.de"),
        ("http://127.0.0.1:8080/feed.xml", "127.0.0.1"),
        ("http://[::1]/x", "::1"),
        ("http://localhost:8000/", "localhost"),
        (
            "https://a.b.example.invalidtld/",
            "example.invalidtld",
        ),  # unknown suffix: last two labels
        ("", ""),
    ],
)
def test_registrable_domain(given: str, expected: str) -> None:
    assert registrable_domain(given) == expected


def test_host_of_keeps_subdomains() -> None:
    assert host_of("HTTPS://AWS.Amazon.com:443/x") == "aws.amazon.com"
    assert host_of("not a url at all") == ""


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://aws.amazon.com/blogs/x", "aws.amazon.com"),  # registered subdomain wins
        ("https://deep.aws.amazon.com/x", "aws.amazon.com"),  # longest registered parent
        ("https://www.amazon.com/dp/1", "amazon.com"),
        ("https://news.bbc.co.uk/1", "bbc.co.uk"),
        ("https://blog.unknown.co.uk/1", "unknown.co.uk"),  # not registered: PSL
    ],
)
def test_provider_domain_checks_the_registry_first(url: str, domain: str) -> None:
    assert provider_domain(url, TAXONOMY) == domain


def test_registered_provider_gets_name_and_absolute_logo() -> None:
    provider = provider_for(
        "https://www.amazon.com/x", "Amazon.com: Online Shopping", TAXONOMY, BASE
    )
    assert provider == Provider(
        name="Amazon",
        domain="amazon.com",
        images=(Image(f"{BASE}/assets/images/organizations/amazon.com-50x50.jpg", 50, 50),),
    )


def test_logo_path_follows_the_seed_when_the_file_lists_none() -> None:
    provider = provider_for("https://aws.amazon.com/blogs/x", None, TAXONOMY, BASE + "/")
    assert provider.name == "AWS"
    assert provider.images == (
        Image(f"{BASE}/assets/images/organizations/aws.amazon.com-50x50.jpg", 50, 50),
    )


def test_absolute_logo_urls_are_kept() -> None:
    provider = provider_for("https://www.bbc.co.uk/news/1", None, TAXONOMY, BASE)
    assert provider.images == (Image("https://cdn.example/bbc.png", 50, 50),)


@pytest.mark.parametrize(
    ("url", "site_name", "expected"),
    [
        ("https://www.theverge.com/x", "The Verge", Provider("The Verge", "theverge.com")),
        ("https://www.theverge.com/x", "  The \n Verge ", Provider("The Verge", "theverge.com")),
        ("https://the-next-web.com/x", None, Provider("The Next Web", "the-next-web.com")),
        ("https://www.techstory.in/x", "", Provider("Techstory", "techstory.in")),
        ("https://edition.cnn.com/x", "www.cnn.com", Provider("CNN", "cnn.com")),  # URL-ish
        ("https://example.com/x", "x" * 61, Provider("Example", "example.com")),  # too long
        ("http://127.0.0.1:8123/a", None, Provider("127.0.0.1", "127.0.0.1")),
    ],
)
def test_unregistered_provider_name(url: str, site_name: str | None, expected: Provider) -> None:
    assert provider_for(url, site_name, TAXONOMY, BASE) == expected


@pytest.mark.parametrize(
    ("domain", "name"),
    [
        ("the-verge.com", "The Verge"),
        ("bbc.co.uk", "BBC"),
        ("venturebeat.com", "Venturebeat"),
        ("xn--bcher-kva.de", "Bücher"),
        ("localhost", "localhost"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_name_from_domain(domain: str, name: str) -> None:
    assert name_from_domain(domain) == name


def test_clean_site_name() -> None:
    assert clean_site_name(None) is None
    assert clean_site_name(" \t") is None
    assert clean_site_name("https://example.com") is None
    assert clean_site_name("Reuters") == "Reuters"


@pytest.mark.corpus
@pytest.mark.parametrize("hub", sorted(HUBS))
def test_seed_providers_are_reproduced(hub: str) -> None:
    """Domains match the seed, and a logo appears exactly when an organizations file exists."""
    taxonomy = load_taxonomy(corpus_hub(hub), HUBS[hub])
    records = seed_records(hub)
    same_domain = 0
    for record in records:
        seed = record.data["provider"]
        # The seed credits the URL as discovered (Becker's, not the pwc.com it resolved to).
        url = record.data.get("originalUrl") or record.data["webUrl"]
        got = provider_for(url, seed["name"], taxonomy, LOGO_BASE[hub])
        same_domain += got.domain == seed["domain"]
        if got.domain != seed["domain"]:
            continue
        assert bool(got.images) == (seed["domain"] in taxonomy.organizations), record.path
        if got.images:
            expected = [Image(i["url"], i["width"], i["height"]) for i in seed["images"]]
            assert list(got.images) == expected, record.path
    # Measured: ai 81/83, powerapps 659/674 (youtube.com videos credited to Microsoft,
    # aws.amazon.com whose organizations file is not in the corpus).
    assert same_domain / len(records) >= 0.95
