"""Layout variables: declared in layout.yaml, overridden by workspace, edition and profile."""

from __future__ import annotations

import pytest

from pressroom import ContentError, load_profile
from pressroom.api import check_workspace, output_format, render
from pressroom.config import Workspace
from pressroom.editions import load_edition
from pressroom.layouts import find_layout, render_edition_html, render_profile_html
from pressroom.variables import VariableSpec, resolve, rgb_to_cmyk

from .conftest import GOOD_FRONT_MATTER


def css_of(profile_path, fmt="screen"):
    profile = load_profile(profile_path)
    document = render_profile_html(profile, None, output_format(profile.workspace, fmt))
    return document.page_css + document.extra_css


def test_defaults_reach_the_css_as_custom_properties(workspace):
    css = css_of(workspace.profile("p"))
    assert "  --accent: #a4262c;\n" in css
    assert "  --columns: 2;\n" in css
    assert '  --text-font: "EB Garamond", "Amiri", serif;\n' in css
    assert "factbox" not in css  # template-only variables stay out of the CSS


def test_each_level_overrides_the_one_before(workspace):
    (workspace.root / "pressroom.yaml").write_text(
        "variables: {accent: '#111111', columns: 3, page_margin: 15mm}\n", encoding="utf-8"
    )
    path = workspace.profile("p", GOOD_FRONT_MATTER + "variables: {accent: '#222222'}\n")
    css = css_of(path)
    assert "--accent: #222222;" in css  # the profile wins over the workspace
    assert "--columns: 3;" in css  # the workspace wins over the layout
    assert "@page { size: A4; margin: 15mm; }" in css


def test_edition_variables_apply_to_the_document_and_profile_ones_to_their_article(workspace):
    (workspace.root / "pressroom.yaml").write_text("variables: {accent: '#111111'}\n")
    workspace.profile("a", GOOD_FRONT_MATTER + "variables: {accent: '#333333'}\n")
    workspace.profile("b")
    folder = workspace.root / "content" / "editions"
    folder.mkdir()
    (folder / "e.yaml").write_text(
        "title: E\nprofiles: [a, b]\nvariables: {accent: '#222222', columns: 3}\n"
    )
    ws = Workspace.load(workspace.root)
    edition = load_edition(folder / "e.yaml", ws)
    profiles = [load_profile(p, ws) for p in edition.profile_paths]
    screen = ws.formats["screen"]
    pages = {"a": 3, "b": 5}
    front = render_edition_html(edition, profiles, screen, pages=pages)
    assert "--accent: #222222;" in front.extra_css and "--columns: 3;" in front.extra_css
    a = render_edition_html(edition, profiles, screen, part="a", pages=pages)
    assert 'id="profile-a" lang="en" dir="ltr" style="--accent: #333333;"' in a.html
    assert "--accent: #222222;" in a.extra_css  # the page-wide value stays the edition's
    assert "counter-increment: page 3" in a.extra_css  # its first page is page 3
    b = render_edition_html(edition, profiles, screen, part="b", pages=pages)
    assert 'id="profile-b" lang="en" dir="ltr">' in b.html


def test_print_uses_cmyk_defaults_and_converts_overrides(workspace):
    css = css_of(workspace.profile("p"), "print")
    assert "--accent: device-cmyk(0.08 0.94 0.84 0.22);" in css
    path = workspace.profile("q", GOOD_FRONT_MATTER + "variables: {accent: '#ff0000'}\n")
    assert "--accent: device-cmyk(0.00 1.00 1.00 0.00);" in css_of(path, "print")


def test_factbox_side_is_a_template_variable(workspace):
    path = workspace.profile("p", GOOD_FRONT_MATTER + "variables: {factbox_side: start}\n")
    profile = load_profile(path)
    html = render_profile_html(profile).html
    assert 'class="opener-art with-sidebar sidebar-start"' in html


def test_unknown_variable_is_a_warning_and_a_bad_value_an_error(workspace):
    path = workspace.profile(
        "p", GOOD_FRONT_MATTER + "variables:\n  acent: '#000'\n  factbox_side: middle\n"
    )
    messages = [d.format(workspace.root) for d in check_workspace(Workspace.load(workspace.root))]
    assert messages == [
        "content/profiles/p.md:21: variables.acent: warning: unknown variable; did you mean "
        "'accent'? (layout 'magazine')",
        "content/profiles/p.md:22: variables.factbox_side: 'middle' is not one of: end, start",
    ]
    with pytest.raises(ContentError) as caught:
        render(load_profile(path))
    assert [d.field for d in caught.value.diagnostics] == ["variables.factbox_side"]


def test_values_that_could_break_out_of_css_are_refused(workspace):
    workspace.profile(
        "p", GOOD_FRONT_MATTER + "variables: {accent: 'red; } body { display: none'}\n"
    )
    messages = [d.format(workspace.root) for d in check_workspace(Workspace.load(workspace.root))]
    assert messages == [
        "content/profiles/p.md:20: variables.accent: 'red; } body { display: none' is not a "
        "plain CSS value"
    ]


def test_child_layout_adds_and_redefines_variables(workspace):
    child = workspace.root / "layouts" / "wide"
    child.mkdir(parents=True)
    (child / "layout.yaml").write_text(
        "name: wide\nextends: magazine\nvariables:\n"
        "  columns: {default: 3}\n  sidebar_width: {default: 60mm}\n"
    )
    layout = find_layout("wide", Workspace.load(workspace.root))
    assert layout.variables["columns"].default == 3
    assert layout.variables["sidebar_width"].default == "60mm"
    assert layout.variables["accent"].default == "#a4262c"  # inherited


def test_resolution_and_conversion_helpers():
    declared = {"a": VariableSpec(default=1), "b": VariableSpec(default="x", choices=["x", "y"])}
    assert resolve(declared, {"a": 2}, {"b": "y"}, {"b": "nope", "c": 3}) == {"a": 2, "b": "y"}
    assert rgb_to_cmyk("#000") == "device-cmyk(0 0 0 1)"
    assert rgb_to_cmyk("#ffffff") == "device-cmyk(0.00 0.00 0.00 0.00)"
    assert rgb_to_cmyk("rebeccapurple") == "rebeccapurple"


def test_shipped_cmyk_profile_is_the_generator_output_and_loads():
    import io

    from PIL import ImageCms

    from pressroom.config import builtin_root
    from pressroom.formats import GENERIC_CMYK_PROFILE
    from pressroom.icc import DESCRIPTION, build_profile, cmyk_to_lab, lab_to_cmyk

    shipped = builtin_root() / "assets" / GENERIC_CMYK_PROFILE
    assert shipped.read_bytes() == build_profile()  # reproducible, byte for byte
    profile = ImageCms.ImageCmsProfile(io.BytesIO(shipped.read_bytes()))
    assert profile.profile.profile_description == DESCRIPTION
    assert profile.profile.xcolor_space == "CMYK"
    assert cmyk_to_lab(0, 0, 0, 0)[0] > 95 and cmyk_to_lab(0, 0, 0, 1)[0] < 12
    cyan = lab_to_cmyk(*cmyk_to_lab(1, 0, 0, 0))
    assert cyan[0] > 0.9 and max(cyan[1:]) < 0.1  # the model inverts itself
    srgb_to_cmyk = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), profile, "RGB", "CMYK")
    from PIL import Image

    red = ImageCms.applyTransform(Image.new("RGB", (1, 1), (200, 30, 30)), srgb_to_cmyk)
    c, m, y, _k = red.getpixel((0, 0))
    assert m > 180 and y > 160 and c < 40


def test_a_configured_icc_profile_that_is_missing_is_an_error(workspace):
    from pressroom import LayoutError

    (workspace.root / "pressroom.yaml").write_text("formats: {print: {icc_profile: nope.icc}}\n")
    with pytest.raises(LayoutError, match=r"with the ICC profile 'nope\.icc'"):
        css_of(workspace.profile("p"), "print")
