"""The page check itself (conftest.check_page) fails where it should: a check that cannot fail proves nothing."""

import pytest


def test_an_image_without_alternative_text_fails_the_check_at_both_widths(page, checked):
    page.set_content("<!doctype html><html lang='en'><title>t</title><main><img src='data:,'></main></html>")
    with pytest.raises(AssertionError) as failure:
        checked(page)
    message = str(failure.value)
    assert "at 1280px: axe: critical: image-alt" in message
    assert "at 390px: axe: critical: image-alt" in message  # axe put into the document once, run twice


def test_an_inline_style_and_a_wide_element_fail_the_check(page, checked):
    page.set_content(
        "<!doctype html><html lang='en'><title>t</title><main><h1>t</h1>"
        "<p style='color: red'>x</p><div class='wide'></div></main></html>"
    )
    page.add_style_tag(content=".wide { width: 2000px; height: 1px }")
    with pytest.raises(AssertionError) as failure:
        checked(page)
    message = str(failure.value)
    assert "inline code or style" in message
    assert "wider than the window" in message
