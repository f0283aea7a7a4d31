"""What the small-screen layout needs from the server, without a browser (the browser walk at 390 px is
test_responsive.py): the header's menu button and the panel it controls, the labelled cells of the card tables,
and the charts drawn wide and compact."""
import re

import pytest
from django.urls import reverse

from apps.web import svg

pytestmark = pytest.mark.django_db


def test_header_has_a_menu_button_controlling_the_nav_and_account(client_for, officer):
    body = client_for(officer).get(reverse("web:dashboard")).content.decode()
    assert ('<button type="button" class="menu-toggle" aria-expanded="false" aria-controls="topmenu">Menu</button>'
            in body)
    panel = body[body.index('id="topmenu"'):body.index("</header>")]
    assert 'aria-label="Main"' in panel
    assert "Log out" in panel


def test_equipment_cards_label_every_cell_with_risk_and_due_first(client_for, officer, inventory):
    body = client_for(officer).get(reverse("web:equipment-list")).content.decode()
    assert '<table class="cards">' in body
    row = re.search(r"<tbody>.*?</tr>", body, re.S).group(0)
    assert '<td class="card-title">' in row
    assert '<td class="card-first" data-label="Risk">' in row
    assert '<td class="card-first" data-label="Due">' in row
    labels = re.findall(r'data-label="([^"]+)"', row)
    assert labels == ["Site", "Category", "Brand / model", "Qty", "Installed", "Risk", "Due", "Why"]


def test_bar_chart_labels_are_html_text_that_wraps_escaped():
    rows = [("<Pier> " + "x" * 60, {"prohibited": 3, "restricted": 1}), ("Gate", {"potential_match": 2})]
    out = str(svg.stacked_bars_html(rows, title="By site"))
    assert "<Pier>" not in out and "&lt;Pier&gt;" in out
    assert "x" * 60 in out  # a long label wraps (app.css .hbar-label) instead of being cut
    assert out.count('class="hbar"') == 2


def test_burndown_is_drawn_wide_and_compact():
    import datetime as dt

    day = dt.date(2026, 1, 5)
    out = str(svg.burndown_svg([(day, 4), (day + dt.timedelta(days=7), 2)], title="Open plans", today=day))
    assert out.count("<svg ") == 2
    assert 'class="chart chart-wide"' in out and 'class="chart chart-compact"' in out
    assert 'viewBox="0 0 340 220"' in out
