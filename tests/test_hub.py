"""Creating a hub: the files it gets, a config that loads to the defaults, finding it again."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from everyday.errors import ConfigError
from everyday.hub import (
    default_sources,
    defaults_dir,
    find_hub,
    init_hub,
    slugify,
    split_site_url,
)
from everyday.settings import (
    CONFIG_NAME,
    SECTIONS,
    Settings,
    load_settings,
    settings_from_dict,
    with_overrides,
)
from everyday.taxonomy import load_taxonomy

DEFAULT_AI_TOPICS = [
    "AI", "Machine Learning", "Computer Vision", "Natural Language Processing", "AI Ethics",
    "AI Hardware", "AI in Autos", "AI in Healthcare", "AI in Finance", "AI in Robotics",
    "AI in Security", "AI in Education", "Generative AI", "Large Language Models",
    "AI Policy & Regulation", "AI Research", "OpenAI", "Google AI", "Microsoft AI", "Meta AI",
    "AWS AI", "Nvidia",
]  # fmt: skip


def test_fresh_hub_has_the_layout(tmp_path: Path) -> None:
    hub = init_hub(tmp_path / "hub")
    assert hub == tmp_path / "hub"
    assert (hub / CONFIG_NAME).is_file()
    assert (hub / "_news").is_dir()
    assert (hub / "_data" / "organizations" / "README.md").is_file()
    assert len(list((hub / "_data" / "topics").glob("*.yaml"))) == len(DEFAULT_AI_TOPICS)
    assert ".everyday/" in (hub / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_fresh_hub_loads_to_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(init_hub(tmp_path / "hub"), env={})
    assert settings == Settings(sources=tuple(default_sources()))
    assert settings.hub_dir == tmp_path / "hub"


def test_init_values_are_the_only_differences(tmp_path: Path) -> None:
    hub = init_hub(
        tmp_path / "hub",
        title='Robots "Daily" — ünïcode',
        url="https://News.Example.org/robots/",
        sources=["https://example.org/feed.xml", " https://example.org/atom "],
    )
    expected = with_overrides(
        Settings(sources=("https://example.org/feed.xml", "https://example.org/atom")),
        "site",
        title='Robots "Daily" — ünïcode',
        url="https://news.example.org",
        baseurl="/robots",
        web_url="https://news.example.org/robots",
    )
    assert load_settings(hub, env={}) == expected


def test_given_sources_replace_the_defaults(tmp_path: Path) -> None:
    assert load_settings(init_hub(tmp_path / "a", sources=[]), env={}).sources == ()
    hub = init_hub(tmp_path / "b", sources=["http://127.0.0.1:9/f"])
    assert load_settings(hub, env={}).sources == ("http://127.0.0.1:9/f",)


def test_default_sources_are_public_https_feeds() -> None:
    sources = default_sources()
    assert 8 <= len(sources) <= 15
    assert len(set(sources)) == len(sources)
    assert all(re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/", s) for s in sources)


def test_template_documents_every_setting_with_its_default() -> None:
    """Uncommenting every `# key = value` line must give exactly the defaults."""
    template = (defaults_dir() / CONFIG_NAME).read_text(encoding="utf-8")
    filled = template.replace("${sources}", "[]")
    filled = re.sub(r"\$\{(\w+)\}", lambda m: f'"{getattr(Settings().site, m.group(1))}"', filled)
    uncommented = re.sub(r"(?m)^# (\w+ = )", r"\1", filled)
    data = tomllib.loads(uncommented)
    comments = " ".join(re.findall(r"(?m)^# (?!\w+ = )(.*)$", template))
    for name, cls in SECTIONS.items():
        assert set(data[name]) == {f.name for f in fields(cls)}, name
        for f in fields(cls):
            assert f.metadata["help"] in comments, (name, f.name)
    assert settings_from_dict(data, Path("."), env={}) == Settings()


def test_other_topic_gets_a_root_only_taxonomy_and_no_feeds(tmp_path: Path) -> None:
    hub = init_hub(tmp_path / "hub", topic="Climate Tech")
    settings = load_settings(hub, env={})
    assert (settings.site.topic, settings.site.title) == ("Climate Tech", "Climate Tech Every Day")
    assert settings.sources == ()
    taxonomy = load_taxonomy(hub, settings.site.topic)
    assert [(t.id, t.name, t.keywords) for t in taxonomy.topics] == [
        ("climate-tech", "Climate Tech", ("climate tech",))
    ]
    assert taxonomy.topics[0].hashtags == ("#ClimateTech",)


def test_default_taxonomy(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(init_hub(tmp_path / "hub"), "AI")
    assert [t.name for t in taxonomy.topics] == DEFAULT_AI_TOPICS
    assert taxonomy.organizations == {}  # the README is not an organization
    assert taxonomy.ancestors("Large Language Models") == ("Generative AI", "AI")
    assert taxonomy.ancestors("Nvidia") == ("AI Hardware", "AI")
    for topic in taxonomy.topics:
        assert topic.id == slugify(topic.name) or topic.id == "ai-policy", topic.name
        assert topic.description and topic.hashtags, topic.name
        assert len(topic.keywords) >= (3 if topic.parent else 1), topic.name
        assert all(h.startswith("#") for h in topic.hashtags)


def test_default_topic_files_follow_the_seed_format() -> None:
    for item in defaults_dir().joinpath("topics").iterdir():
        text = item.read_text(encoding="utf-8")
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.yaml", item.name)
        assert text.startswith("taxonomy: topic\n_id: ") and text.endswith("\n")
        keys = [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")]
        order = ["taxonomy", "_id", "name", "shortname", "parent", "description"]
        assert [k for k in keys if k in order] == [k for k in order if k in keys]


def test_existing_hub_is_not_overwritten(tmp_path: Path) -> None:
    hub = init_hub(tmp_path / "hub", title="First")
    with pytest.raises(ConfigError, match="already exists"):
        init_hub(hub, title="Second")
    assert load_settings(hub, env={}).site.title == "First"


def test_force_rewrites_config_and_keeps_records(tmp_path: Path) -> None:
    hub = init_hub(tmp_path / "hub", title="First")
    record = hub / "_news" / "2024-01-01-kept.md"
    record.write_text("---\ntitle: kept\n---\n\n", encoding="utf-8")
    extra_topic = hub / "_data" / "topics" / "30-mine.yaml"
    extra_topic.write_text("name: Mine\nparent: AI\n", encoding="utf-8")
    (hub / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    init_hub(hub, title="Second", force=True)
    assert load_settings(hub, env={}).site.title == "Second"
    assert record.is_file() and extra_topic.is_file()
    assert (hub / ".gitignore").read_text(encoding="utf-8").splitlines()[0] == "node_modules/"
    assert ".everyday/" in (hub / ".gitignore").read_text(encoding="utf-8")
    init_hub(hub, force=True)
    assert (hub / ".gitignore").read_text(encoding="utf-8").count(".everyday/") == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "example.org"}, "url"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"topic": "  "}, "topic"),
        ({"sources": ["https://ok.example/feed", ""]}, "sources"),
    ],
)
def test_invalid_values_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        init_hub(tmp_path / "hub", **kwargs)
    assert not (tmp_path / "hub" / CONFIG_NAME).exists()


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        (None, ("https://example.org", "", "https://example.org")),
        ("https://example.org", ("https://example.org", "", "https://example.org")),
        ("https://Ex.org/ai/", ("https://ex.org", "/ai", "https://ex.org/ai")),
        (
            "http://127.0.0.1:8000/a/b",
            ("http://127.0.0.1:8000", "/a/b", "http://127.0.0.1:8000/a/b"),
        ),
    ],
)
def test_split_site_url(url: str | None, parts: tuple[str, str, str]) -> None:
    assert split_site_url(url) == parts


def test_find_hub_walks_up(tmp_path: Path) -> None:
    hub = init_hub(tmp_path / "hub")
    deep = hub / "_news" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_hub(deep) == hub.resolve()
    assert find_hub(hub) == hub.resolve()
    assert find_hub(hub / CONFIG_NAME) == hub.resolve()


def test_find_hub_outside_any_hub(tmp_path: Path) -> None:
    if any((p / CONFIG_NAME).exists() for p in (tmp_path, *tmp_path.parents)):
        pytest.skip("a hub exists above the temporary directory")
    with pytest.raises(ConfigError, match="not inside a hub"):
        find_hub(tmp_path)


@pytest.mark.parametrize(
    ("name", "slug"),
    [("AI in Healthcare", "ai-in-healthcare"), ("Café & Crème", "cafe-creme"), ("!!!", "topic")],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
