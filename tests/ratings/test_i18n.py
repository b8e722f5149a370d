"""Every message of the ratings and notifications rooms has a Simplified Chinese translation."""

from __future__ import annotations

from django.utils import translation

from xiaoneng.ratings.models import LevelChoice


def test_the_rating_levels_read_as_in_the_national_standard() -> None:
    """In zh-Hans the five levels read 非常满意, 满意, 基本满意, 不满意, 非常不满意 (§8)."""
    with translation.override("zh-hans"):
        labels = [str(label) for _, label in LevelChoice.choices]
    assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
