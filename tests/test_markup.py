"""Markdown bodies to print HTML."""

from __future__ import annotations

from pressroom.markup import image_references, render_body, render_inline


def test_raw_html_is_escaped_not_passed_through():
    body = render_body("Hello <script>alert(1)</script> <b>bold</b>\n")
    assert "<script>" not in body.html
    assert "&lt;script&gt;" in body.html
    assert "<b>" not in body.html


def test_drop_cap_wraps_the_first_letter_with_opening_quote():
    body = render_body("“Quoted start of the story.\n\nSecond paragraph.\n")
    assert body.html.startswith(
        '<p class="lede"><span class="initial">“Q</span>'
        '<span class="lead-in">uoted start of the story.</span></p>'
    )  # the opening words in a span the layout sets in small caps
    assert body.html.count('class="initial"') == 1
    long = render_body("One two three four five six seven.\n").html
    assert '<span class="lead-in">ne two three four five</span> six seven.' in long


def test_drop_cap_can_be_turned_off():
    assert 'class="initial"' not in render_body("Text.\n", drop_cap=False).html


def test_footnotes_become_inline_floats():
    body = render_body("A claim.[^1] More.\n\n[^1]: The *source*, with a [link](https://x.org).\n")
    assert (
        '<span class="footnote">The <em>source</em>, with a <a href="https://x.org">link</a>.</span>'
        in body.html
    )
    assert "footnotes-list" not in body.html  # the end-of-document list is gone
    assert body.footnotes == 1


def test_pull_quote_container():
    body = render_body("Para.\n\n::: pullquote\nA line worth repeating.\n:::\n")
    assert (
        '<aside class="pullquote" role="note">\n<p>A line worth repeating.</p>\n</aside>'
        in body.html
    )
    assert body.pull_quotes == 1


def test_headings_get_unique_anchors():
    body = render_body("## The Start\n\nText.\n\n## The Start\n\n### Détails\n")
    assert [(h.level, h.anchor) for h in body.headings] == [
        (2, "the-start"),
        (2, "the-start-2"),
        (3, "détails"),
    ]
    assert '<h2 id="the-start">' in body.html


def test_slots_let_the_editor_place_boxes():
    body = render_body("One.\n\n::: timeline\n:::\n\nTwo.\n")
    assert [(b.kind, b.slot) for b in body.blocks] == [
        ("paragraph", None),
        ("container_timeline", "timeline"),
        ("paragraph", None),
    ]


def test_typographic_quotes_and_dashes():
    assert render_inline('"Yes" -- it\'s') == "“Yes” – it’s"


def test_lists_links_and_emphasis_are_commonmark():
    html = render_body("- *one*\n- **two**\n\n[site](https://example.org)\n", drop_cap=False).html
    assert "<ul>\n<li><em>one</em></li>\n<li><strong>two</strong></li>\n</ul>" in html
    assert '<a href="https://example.org">site</a>' in html


def test_image_references_carry_file_lines():
    refs = image_references("Text\n\n![a](one.png)\n\nMore ![b](two.png)\n", first_line=10)
    assert [(r.src, r.line) for r in refs] == [("one.png", 12), ("two.png", 14)]


def test_pipe_tables_become_html_tables():
    body = render_body("Text.\n\n| Port | Tonnage |\n|---|---|\n| Lisbon | 12,000 |\n")
    assert "<table>" in body.html and "<th>Port</th>" in body.html
    assert "<td>Lisbon</td>" in body.html and "<td>12,000</td>" in body.html


def test_runs_in_another_script_are_marked_with_their_language():
    html = render_body("He wrote: مصطفى الكاظمي & more.\n", lang="en", drop_cap=False).html
    assert '<span lang="ar">مصطفى الكاظمي</span>' in html
    assert "&amp; more" in html  # character references are never split
    arabic = render_body("كتب في موقع Al-Monitor مقالات كثيرة.\n", lang="ar", drop_cap=False)
    assert '<span lang="en">Al-Monitor</span>' in arabic.html
    assert "<span lang" not in render_body("Plain English, *emphasis*.\n", lang="en").html


def test_a_paragraphs_last_word_is_kept_whole_and_dates_are_tied():
    body = render_body(
        "First paragraph.\n\nOn 14 October 2021 and in May 2020 he met the administration\n\n"
        "It ends with a short word\n\n::: pullquote\nQuoted administration\n:::\n"
    )
    assert '<span class="tie">14 October 2021</span>' in body.html
    assert '<span class="tie">May 2020</span>' in body.html
    assert 'met the <span class="last-word">administration</span></p>' in body.html
    assert "short word</p>" in body.html  # too short to hyphenate: left alone
    assert "<p>Quoted administration</p>" in body.html  # pull quotes are never hyphenated


def test_dates_are_tied_in_the_profiles_language():
    body = render_body("Intro.\n\nغادر في أكتوبر 2021 إلى بغداد.", lang="ar", initial="word")
    assert '<span class="tie">أكتوبر 2021</span>' in body.html
    french = render_body("Intro.\n\nIl est parti le 3 octobre 2021 pour Bagdad.", lang="fr")
    assert '<span class="tie">3 octobre 2021</span>' in french.html
