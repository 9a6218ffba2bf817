"""make_excerpt: the seed's cut (" ...", word boundary, 260 chars), cleaning and junk fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from everyday.enrich.excerpt import (
    DEFAULT_MAX_LENGTH,
    ELLIPSIS,
    clean_description,
    is_junk,
    lead_text,
    make_excerpt,
    truncate,
)

LONG = (
    "Researchers have tapped faint, latent signals from arm nerves and amplified them to create "
    "a prosthetic that enables real-time, intuitive, finger-level control of a robotic hand. "
    "To achieve this the team implanted tiny muscle grafts around severed nerves and recorded "
    "the signals with electrodes over several months of testing in four volunteers."
)


def test_seed_numbers() -> None:
    assert (DEFAULT_MAX_LENGTH, ELLIPSIS) == (260, " ...")


def test_short_text_is_kept_whole() -> None:
    assert truncate("A short description.", 260) == "A short description."
    exact = "x" * 259 + "."
    assert truncate(exact, 260) == exact


def test_long_text_is_cut_at_a_word_with_space_and_three_dots() -> None:
    out = truncate(LONG, 200)
    assert out.endswith(" ...")
    assert len(out) <= 200
    body = out[: -len(ELLIPSIS)]
    assert LONG.startswith(body)
    assert body[-1].isalnum()
    assert not LONG[len(body)].isalnum()  # the word before the cut is whole
    assert len(out) > 200 - 15  # filled up to the cap, like the seed (182-200 for 200)


def test_cut_word_is_dropped_whole() -> None:
    text = "alpha beta gamma delta"
    # limit 12 - 4 = 8 chars: "alpha be" -> "be" is part of "beta" -> dropped
    assert truncate(text, 12) == "alpha ..."


def test_punctuation_before_the_cut_is_dropped() -> None:
    assert (
        truncate("Machine Learning (ML) engineers and more words", 25) == "Machine Learning (ML ..."
    )
    assert truncate("a client's time-to-market gains here", 27) == "a client's time-to ..."
    assert truncate("one, two, three, four, five", 13) == "one, two ..."


def test_giant_token_is_hard_cut() -> None:
    token = "a" * 300
    assert truncate(token, 50) == token[:46] + " ..."
    assert truncate("https://example.org/" + token, 50) == "https://example.org ..."


def test_tiny_max_length() -> None:
    assert truncate("abcdefgh", 3) == "abc"


def test_clean_description() -> None:
    assert clean_description("<p>Ben &amp;amp; Jerry&#8217;s <b>new</b>\r\n\r\n flavour</p>") == (
        "Ben & Jerry’s new flavour"
    )
    assert clean_description("Text <script>evil()</script>after") == "Text after"
    assert clean_description("Some summary text here [&hellip;]") == "Some summary text here"
    assert clean_description("Body of the post. The post Title appeared first on Blog.") == (
        "Body of the post."
    )
    assert (
        clean_description("A publisher cut this mid-sen&hellip;")
        == "A publisher cut this mid-sen ..."
    )
    assert clean_description("Ends with dots, glued...") == "Ends with dots, glued ..."
    assert clean_description(None) == ""


@pytest.mark.parametrize(
    "text",
    [
        "A cookie is a small piece of data our website stores on your computer.",
        "We use cookies to improve your experience. By browsing you accept our cookie policy.",
        "If you buy something from a Verge link, Vox Media may earn a commission. See our ethics statement.",
        "We may earn an affiliate commission when you buy through links on our site.",
        "To sign up for Becker's Health IT & CIO Report E-Newsletter or any of our other newsletters",
        "Keep abreast of significant corporate, financial and political developments around the world.",
        "Disclaimer | Accessibility Statement | Commerce Policy | Made In NYC | Stock quotes",
        "Please enable JavaScript to view this page properly.",
        "n required Please select sign in to continue. Session ID 1234",
        "NA",
        "na",
        "English",
        "Placeholder.",
        "© 2023 Example Media Group. All rights reserved.",
        "https://learn.example.com/en-us/power-apps/maker/overview",
    ],
)
def test_junk(text: str) -> None:
    assert is_junk(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rename of connectors",
        "Microsoft adds a pay-as-you-go tier for Power Apps, linking usage to Azure.",
        "The chip uses less power than its predecessor, enabling longer battery life.",
        "Copyright reform in the EU advanced on Tuesday after a vote in parliament.",
    ],
)
def test_not_junk(text: str) -> None:
    assert not is_junk(text)


def test_junk_description_falls_back_to_text() -> None:
    text = "Advertisement\nBy Jane Doe\n" + LONG + "\nSecond paragraph that is also prose."
    out = make_excerpt("We use cookies to improve your experience on our site.", text, 200)
    assert out.startswith("Researchers have tapped faint")
    assert out.endswith(" ...") and len(out) <= 200


def test_description_preferred_when_clean() -> None:
    assert (
        make_excerpt("A fine description of the story.", LONG) == "A fine description of the story."
    )


def test_missing_description_uses_text_and_short_text_is_whole() -> None:
    assert make_excerpt(None, "A brief article body with one sentence.") == (
        "A brief article body with one sentence."
    )
    assert make_excerpt("", "Intro line that is long enough to be prose here.\nIt goes on.") == (
        "Intro line that is long enough to be prose here. It goes on."
    )


def test_nothing_usable_gives_empty_excerpt() -> None:
    assert make_excerpt(None, None) == ""
    assert make_excerpt("NA", "") == ""


def test_lead_text_skips_furniture_lines() -> None:
    text = "Share this article\n5 min read\nThe first real paragraph of the story starts here.\n"
    assert lead_text(text) == "The first real paragraph of the story starts here."


# ---------------------------------------------------------------- seed corpus


def seed_excerpts(corpus: Path) -> list[str]:
    excerpts = []
    for path in sorted(corpus.glob("*/_news/*.md")):
        front = path.read_text("utf-8").split("---\n", 2)[1]
        excerpts.append(str(yaml.safe_load(front).get("excerpt") or ""))
    return excerpts


@pytest.mark.corpus
def test_seed_ellipsis_excerpts_follow_the_measured_rule(corpus: Path) -> None:
    cut = [e for e in seed_excerpts(corpus) if e.endswith(ELLIPSIS)]
    assert len(cut) >= 90
    assert max(len(e) for e in cut) == DEFAULT_MAX_LENGTH
    assert all(e[-len(ELLIPSIS) - 1].isalnum() for e in cut)
    # Our cut of a seed excerpt's own text, at the seed's own length, gives it back.
    for excerpt in cut:
        body = excerpt[: -len(ELLIPSIS)]
        assert truncate(body + " and the story goes on", len(excerpt)) == excerpt


@pytest.mark.corpus
def test_clean_seed_descriptions_pass_through_unchanged(corpus: Path) -> None:
    excerpts = seed_excerpts(corpus)
    junk = {clean_description(e) for e in excerpts if is_junk(clean_description(e))}
    assert len(junk) <= 0.03 * len(excerpts)  # 13 of 757: cookie, sign-in, "NA", link rows
    for excerpt in excerpts:
        cleaned = clean_description(excerpt)
        if cleaned in junk or len(cleaned) > DEFAULT_MAX_LENGTH:
            continue
        assert make_excerpt(excerpt, "ignored text") == cleaned
