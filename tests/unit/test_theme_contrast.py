"""The colours of plantao.css, light and dark, hold WCAG AA contrast.

Both themes are the variables of ``plantao.css``: the ``:root`` block (light)
and the ``:root`` block of the ``prefers-color-scheme: dark`` media query,
which overrides some of them.  Each pair below is a text colour on the
background it is drawn on somewhere in plantao.css or admin.css (4.5:1), or
a boundary one must see, a form field's edge or a focus ring, against what is
around it (3:1).  A colour edited later that breaks a pair fails here, in the
theme it breaks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).parents[2] / "plantao" / "static" / "plantao.css"
PEOPLE = [f"p{n}" for n in range(8)]

#: Text on its background: 4.5:1.  A background written ``"a/b"`` is ``a``
#: (translucent) over ``b``, as the browser paints it.
TEXT = [
    *[("ink", ground) for ground in (
        "bg", "card", "field", "neutral-bg", "brand-soft", "warn-bg", "ok-bg", "error-bg", "outside-bg",
        "holiday-bg", "leave-bg", "weekend-bg", "lane-bg/card", "veil/card", *[f"{p}-bg" for p in PEOPLE],
        *[f"stripe/{p}-bg" for p in PEOPLE],
    )],
    *[("muted", ground) for ground in (
        "bg", "card", "neutral-bg", "outside-bg", "holiday-bg", "leave-bg", "veil/card",
        *[f"{p}-bg" for p in PEOPLE],
    )],
    *[("link", ground) for ground in ("bg", "card", "field", "brand-soft")],
    ("link-hover", "card"), ("link-hover", "bg"),
    *[("on-brand", ground) for ground in (
        "brand", "brand-dark", "header", "danger-fill", "on-brand-hover/header", "on-brand-current/header",
        "on-brand-hover/brand-dark",
    )],
    ("on-brand-muted/brand-dark", "brand-dark"), ("header", "on-brand"),
    *[("warn", ground) for ground in ("warn-bg", "card", "holiday-bg", *[f"{p}-bg" for p in PEOPLE])],
    *[("danger", ground) for ground in ("card", "bg", "error-bg")],
    ("ok", "card"), ("ok", "ok-bg"),
    ("on-now", "now"),
    # A person's initials in their colour on their chip; the avatar's initials on the colour.
    *[(p, f"{p}-bg") for p in PEOPLE],
    *[("on-person", p) for p in PEOPLE],
]

#: Boundaries and marks: 3:1.
UI = [
    ("field-line", "field"), ("field-line", "card"), ("field-line", "bg"),
    ("focus", "card"), ("focus", "bg"), ("focus-on-brand", "header"),
    ("brand", "card"),  # today's frame in the month, the ticked boxes
    ("now", "card"),  # the timeline's "now" line
    *[(p, "card") for p in PEOPLE],  # the bars' edges and swatches
]


def variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+)\s*:\s*([^;]+);", block))


def themes() -> dict[str, dict[str, str]]:
    css = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    light = variables(re.search(r"^:root\s*\{(.*?)\}", css, re.M | re.S).group(1))
    dark = re.search(r"@media[^{]*prefers-color-scheme:\s*dark[^{]*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert dark, "plantao.css has no dark theme"
    return {"light": light, "dark": {**light, **variables(dark.group(1))}}


def rgba(theme: dict[str, str], name: str) -> tuple[float, float, float, float]:
    value = theme[name].strip()
    while value.startswith("var("):
        value = theme[value[6:-1].strip()].strip()
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (*(int(digits[i:i + 2], 16) for i in (0, 2, 4)), 1.0)
    numbers = [float(n) for n in re.findall(r"[\d.]+", value)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def paint(theme: dict[str, str], name: str) -> tuple[float, float, float]:
    """The colour seen: ``"a/b"`` is ``a`` laid over ``b``."""
    top, _, under = name.partition("/")
    r, g, b, alpha = rgba(theme, top)
    if alpha == 1.0:
        return r, g, b
    assert under, f"--{top} is translucent: say what it lies on"
    base = paint(theme, under)
    return tuple(alpha * c + (1 - alpha) * u for c, u in zip((r, g, b), base))


def luminance(colour: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(theme: dict[str, str], front: str, back: str) -> float:
    """The WCAG 2 contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((luminance(paint(theme, front)), luminance(paint(theme, back))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_formula_is_wcags():
    theme = {"white": "#fff", "black": "#000", "grey": "#767676", "half": "rgba(0,0,0,.5)"}
    assert contrast(theme, "black", "white") == pytest.approx(21)
    assert contrast(theme, "grey", "white") == pytest.approx(4.54, abs=0.01)
    # Half-transparent black on white is the grey half way: #808080 give or take a rounding.
    assert contrast(theme, "half/white", "white") == pytest.approx(contrast({"g": "#808080", "w": "#fff"}, "g", "w"), abs=0.05)


def test_the_dark_theme_gives_every_colour_of_the_screen():
    """A colour added to the light theme alone would show light in the dark one (paper colours excepted)."""
    css = CSS.read_text()
    light = variables(re.search(r"^:root\s*\{(.*?)\}", css, re.M | re.S).group(1))
    dark = variables(re.search(r"prefers-color-scheme:\s*dark[^{]*\{\s*:root\s*\{(.*?)\}", css, re.S).group(1))
    colours = {name for name, value in light.items() if re.match(r"\s*(#|rgba?\()", value)}
    assert sorted(colours - set(dark)) == ["print-ink", "print-line"]


@pytest.mark.parametrize("name", ["light", "dark"])
@pytest.mark.parametrize("pairs, least", [(TEXT, 4.5), (UI, 3.0)], ids=["text", "boundaries"])
def test_every_pair_meets_aa(name, pairs, least):
    theme = themes()[name]
    failing = [
        f"--{front} on --{back}: {ratio:.2f}"
        for front, back in pairs
        if (ratio := contrast(theme, front, back)) < least
    ]
    assert not failing, f"{name} theme under {least}:1: " + ", ".join(failing)
