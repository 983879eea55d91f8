"""The charts' marks on paper, in a real browser (headless Chromium, print media): every
point and line 3:1 or more against the white card, and the legends' keys printed.
"""

from __future__ import annotations

import uuid

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab

#: WCAG's least contrast of a graphical object against what is next to it
LEAST_CONTRAST = 3.0

#: each mark of the charts (markers, series' lines, parallel coordinates' lines): its
#: colour as painted on white (its colour and opacities), and the legends' keys' printing
MARKS = r"""() => {
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const contrast = ([r, g, b]) =>
    1.05 / (0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b) + 0.05);
  const rgb = (text) => text.match(/[\d.]+/g).slice(0, 3).map(Number);
  const marks = [];
  const paint = (el, paintProp, opacityProp) => {
    const style = getComputedStyle(el);
    const alpha = parseFloat(style[opacityProp]) * parseFloat(style.opacity);
    const painted = rgb(style[paintProp]).map((v) => v * alpha + 255 * (1 - alpha));
    marks.push({ kind: el.getAttribute('class') || el.tagName, colour: style[paintProp], alpha,
                 contrast: contrast(painted) });
  };
  for (const el of document.querySelectorAll('.plot-svg circle.marker')) {
    paint(el, 'fill', 'fillOpacity');
  }
  for (const el of document.querySelectorAll('.plot-svg .series path, .plot-svg path.pc-line')) {
    paint(el, 'stroke', 'strokeOpacity');
  }
  const keys = [...document.querySelectorAll('.plot-legend .swatch, .plot-legend .ramp')]
    .map((el) => getComputedStyle(el).printColorAdjust);
  return { marks, keys };
}"""


def _faint(tab: Tab, address: str, wait_for: str) -> tuple[list[dict[str, object]], list[str]]:
    page = tab.page
    page.emulate_media(media="screen")
    page.goto(tab.url + address)
    # attached, not visible: a series whose best stayed level is a flat line, whose box has
    # no height, and Playwright never calls a box without height visible
    page.wait_for_selector(wait_for, state="attached")
    page.emulate_media(media="print")
    found = page.evaluate(MARKS)
    assert found["marks"] and found["keys"], (address, found)
    faint = [m for m in found["marks"] if m["contrast"] < LEAST_CONTRAST]
    return faint[:5], [k for k in found["keys"] if k != "exact"]


def test_printed_marks_stand_out_from_the_paper(tab: Tab, dashboard_site: Site) -> None:
    """Printed, parallel coordinates drew the best lines in viridis' yellow (1.3:1 on white,
    at 0.55 opacity 1.15:1), markers at 0.7 opacity fell to 2.2:1 (amber), and each
    legend's swatches and ramp (backgrounds, which a browser leaves out on paper) printed
    blank: the lines' colours had no key. Every mark is 3:1 or more now, and the keys print."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Printed charts {uuid.uuid4().hex[:6]}", gens=2)
    tab.sign_in(dashboard_site.alice)
    for address, drawn in (
        (f"/#/experiments/{dashboard_site.alice_experiment}", ".plot-svg path.pc-line"),
        (f"/#/experiments/{dashboard_site.alice_pareto}", ".plot-svg circle.marker"),
        (f"/#/sessions/{sid}", ".plot-svg .series path"),
    ):
        faint, unprinted = _faint(tab, address, drawn)
        assert faint == [], (address, faint)
        assert unprinted == [], (address, unprinted)
    assert tab.page.pdf()[:5] == b"%PDF-"
    assert tab.errors == [] and tab.dialogs == []
