"""Loading topics and organizations: the real seed files and the malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from everyday.errors import ConfigError
from everyday.models import Image
from everyday.taxonomy import Taxonomy, Topic, load_taxonomy
from taxonomy_corpus import HUBS, corpus_hub

AI_TOPICS = [
    "AI", "Machine Learning", "Computer Vision", "Natural Language Processing", "AI Ethics",
    "AI Hardware", "AI in Autos", "AI in Healthcare", "AI in Finance", "AI in Marketing",
    "AI in Sales", "AI in Education", "AI in Robotics", "AI in Security", "AWS AI",
    "Microsoft AI", "Google AI", "Facebook AI", "Meta AI", "IBM AI", "TensorFlow", "Math for AI",
]  # fmt: skip


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def topics_dir(hub: Path) -> Path:
    return hub / "_data" / "topics"


def orgs_dir(hub: Path) -> Path:
    return hub / "_data" / "organizations"


@pytest.mark.corpus
def test_loads_every_real_ai_topic_in_file_order() -> None:
    taxonomy = load_taxonomy(corpus_hub("ai"), "AI")
    assert [t.name for t in taxonomy.topics] == AI_TOPICS
    assert taxonomy.topic("TensorFlow").parent == "Google AI"  # type: ignore[union-attr]
    assert taxonomy.ancestors("TensorFlow") == ("Google AI", "AI")
    assert taxonomy.topic("AI").parent is None  # type: ignore[union-attr]
    assert {t.parent for t in taxonomy.topics[1:]} == {"AI", "Google AI"}


@pytest.mark.corpus
def test_real_topic_fields_are_read() -> None:
    taxonomy = load_taxonomy(corpus_hub("ai"), "AI")
    nlp = taxonomy.topic("Natural Language Processing")
    assert nlp is not None
    assert (nlp.id, nlp.shortname, nlp.order) == ("natural-language-processing", "NLP", "03")
    assert "speech recognition" in nlp.keywords
    assert nlp.hashtags == ("#NLP",)
    assert dict(nlp.services)["news"].endswith("/api/news/natural-language-processing/")
    facebook = taxonomy.topic("Facebook AI")
    assert facebook is not None and facebook.keywords == ("PyTorch", "ONNX", "PyRobot")
    # A stray trailing `---` (08-ai-in-finance.yaml) does not leak into the last value.
    finance = taxonomy.topic("AI in Finance")
    assert finance is not None and dict(finance.services)["companies"].endswith("ai-in-finance/")


@pytest.mark.corpus
def test_real_organizations_including_the_file_without_md() -> None:
    taxonomy = load_taxonomy(corpus_hub("ai"), "AI")
    assert len(taxonomy.organizations) == 15
    guardian = taxonomy.organization("theguardian.com")
    assert guardian is not None and guardian.name == "The Guardian"
    assert guardian.images[0] == Image(
        url="/assets/images/organizations/theguardian.com-50x50.jpg", width=50, height=50
    )
    mit = taxonomy.organization("MIT.edu")
    assert mit is not None and mit.other_names == ("Massachusetts Institute of Technology",)


@pytest.mark.corpus
@pytest.mark.parametrize("hub", sorted(HUBS))
def test_every_real_hub_loads_with_valid_parents(hub: str) -> None:
    taxonomy = load_taxonomy(corpus_hub(hub), HUBS[hub])
    names = {t.name for t in taxonomy.topics}
    assert HUBS[hub] in names
    assert all(t.parent in names for t in taxonomy.topics if t.parent)
    assert all(t.keywords for t in taxonomy.topics)
    assert all(o.domain == o.id for o in taxonomy.organizations.values())


@pytest.mark.corpus
def test_powerapps_taxonomy_dedupes_repeated_keywords() -> None:
    taxonomy = load_taxonomy(corpus_hub("powerapps"), "Power Apps")
    assert len(taxonomy.topics) == 7
    assert len(taxonomy.organizations) == 70
    model = taxonomy.topic("Model-driven apps")
    assert model is not None
    assert model.keywords == ("model-driven apps", "model driven apps", "model driven app")


def test_missing_folders_give_an_empty_taxonomy(tmp_path: Path) -> None:
    assert load_taxonomy(tmp_path, "AI") == Taxonomy(topics=(), organizations={}, root="AI")


def test_stray_end_marker_no_newline_and_duplicate_prefixes(tmp_path: Path) -> None:
    folder = topics_dir(tmp_path)
    write(folder, "00-root.yaml", "taxonomy: topic\n_id: root\nname: Root\nkeywords:\n  - root")
    write(folder, "08-b.yaml", "_id: b\nname: B\nparent: Root\nkeywords:\n  - bee\n---")
    write(folder, "08-a.yaml", "---\n_id: a\nname: A\nparent: Root\nkeywords:\n  - ay\n---\n")
    write(folder, "notes.txt", "not a topic")
    taxonomy = load_taxonomy(tmp_path, "Root")
    assert [(t.name, t.order, t.keywords) for t in taxonomy.topics] == [
        ("Root", "00", ("root",)),
        ("A", "08", ("ay",)),
        ("B", "08", ("bee",)),
    ]


def test_id_defaults_to_the_file_name(tmp_path: Path) -> None:
    write(topics_dir(tmp_path), "03-deep-learning.yaml", "name: Deep Learning\n")
    assert load_taxonomy(tmp_path, "AI").topics == (
        Topic(id="deep-learning", name="Deep Learning", order="03"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "invalid YAML"),
        ("_id: x\nkeywords:\n  - a\n", "has no name"),
        ("- just\n- a list\n", "expected a mapping"),
        ("name: X\nkeywords: one\n", "keywords must be a list"),
        ("name: X\nkeywords:\n  - yes\n", "quote it"),
        ("name: X\nparent: Nowhere\n", "parent 'Nowhere'"),
        ("name: X\nservices:\n  - a\n", "services must be a mapping"),
    ],
)
def test_bad_topic_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(topics_dir(tmp_path), "05-bad.yaml", text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_taxonomy(tmp_path, "AI")
    assert str(path) in str(caught.value)


def test_duplicate_topic_names_are_refused(tmp_path: Path) -> None:
    write(topics_dir(tmp_path), "01-a.yaml", "name: Same\n")
    write(topics_dir(tmp_path), "02-b.yaml", "name: Same\n")
    with pytest.raises(ConfigError, match=r"02-b\.yaml.*also defined in .*01-a\.yaml"):
        load_taxonomy(tmp_path, "AI")


def test_organizations_front_matter_variants(tmp_path: Path) -> None:
    folder = orgs_dir(tmp_path)
    write(folder, "README.md", "# Organizations\n\nNot an organization.\n")
    write(folder, ".hidden.md", "junk: [")
    write(folder, "example.com", "---\nname: Example\ndomain: Example.COM\n---\n")
    write(folder, "plain.org.md", "name: Plain\n")  # no front matter markers
    write(folder, "logo.net.md", "---\nname: Logo\nimages:\n  - url: /l.jpg\n    width: 50\n---\n")
    taxonomy = load_taxonomy(tmp_path, "AI")
    assert sorted(taxonomy.organizations) == ["example.com", "logo.net", "plain.org"]
    assert taxonomy.organizations["plain.org"].id == "plain.org"
    assert taxonomy.organizations["logo.net"].images == (Image(url="/l.jpg", width=50),)


def test_bad_organization_file_names_the_file(tmp_path: Path) -> None:
    path = write(orgs_dir(tmp_path), "x.com.md", "---\ndomain: x.com\n---\n")
    with pytest.raises(ConfigError, match="organization has no name") as caught:
        load_taxonomy(tmp_path, "AI")
    assert str(path) in str(caught.value)


def test_ancestors_stop_on_a_cycle() -> None:
    taxonomy = Taxonomy(
        topics=(Topic(id="a", name="A", parent="B"), Topic(id="b", name="B", parent="A")),
        root="A",
    )
    assert taxonomy.ancestors("A") == ("B", "A")
    assert taxonomy.ancestors("Unknown") == ()


def test_curated_flag_defaults_true_and_reads_false(tmp_path: Path) -> None:
    from everyday.taxonomy import load_organizations

    folder = tmp_path / "orgs"
    folder.mkdir()
    (folder / "a.test.md").write_text(
        "---\ntaxonomy: organization\n_id: a.test\nname: A\ndomain: a.test\n---\n"
    )
    (folder / "b.test.md").write_text(
        "---\ntaxonomy: organization\n_id: b.test\nname: B\ndomain: b.test\ncurated: false\n---\n"
    )
    orgs = load_organizations(folder)
    assert orgs["a.test"].curated is True
    assert orgs["b.test"].curated is False
